// The settings file: profiles and preferences, validated with zod. A file that does not parse
// or validate is refused with its path and the reason; the app then runs on defaults and keeps
// a `.bad` copy, and never rewrites the refused file on its own: only an explicit change by
// the user writes settings again (the `.bad` copy keeps what was there).
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { preferencesSchema, profileSchema, type Preferences } from '../../shared/ipc-schema.js';

export const settingsFileSchema = z
  .object({
    version: z.literal(1),
    profiles: z.array(profileSchema).max(100),
    activeProfileId: z.string().nullable(),
    preferences: preferencesSchema,
  })
  .strict()
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    for (const [i, p] of value.profiles.entries()) {
      if (seen.has(p.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['profiles', i, 'id'],
          message: `duplicate profile id "${p.id}"`,
        });
      }
      seen.add(p.id);
    }
    if (value.activeProfileId !== null && !seen.has(value.activeProfileId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['activeProfileId'],
        message: `no profile has id "${value.activeProfileId}"`,
      });
    }
  });

export type SettingsFile = z.infer<typeof settingsFileSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  startAtLogin: false,
  connectAtStart: false,
  startHidden: false,
  language: 'system',
  theme: 'system',
};

export function defaultSettings(): SettingsFile {
  return {
    version: 1,
    profiles: [],
    activeProfileId: null,
    preferences: { ...DEFAULT_PREFERENCES },
  };
}

export interface SettingsProblem {
  path: string;
  reason: string;
  backupPath: string;
}

export interface LoadedSettings {
  settings: SettingsFile;
  /** Set when the file was refused and defaults are in use. */
  problem: SettingsProblem | null;
}

/** Turns zod issues into one readable line: "profiles.0.gatewayUrl: must be https://…". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Checks a parsed JSON value; returns the settings or the reason they are refused. */
export function validateSettings(
  value: unknown,
): { ok: true; settings: SettingsFile } | { ok: false; reason: string } {
  const parsed = settingsFileSchema.safeParse(value);
  return parsed.success
    ? { ok: true, settings: parsed.data }
    : { ok: false, reason: describeIssues(parsed.error) };
}

export class SettingsStore {
  constructor(readonly path: string) {}

  get backupPath(): string {
    return `${this.path}.bad`;
  }

  async load(): Promise<LoadedSettings> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { settings: defaultSettings(), problem: null };
      return this.refuse(`cannot be read (${(err as Error).message})`, false);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return this.refuse(`not valid JSON (${(err as Error).message})`, true);
    }
    const result = validateSettings(json);
    if (!result.ok) return this.refuse(result.reason, true);
    return { settings: result.settings, problem: null };
  }

  /** Writes atomically (temp file + rename), readable by the user only. */
  async save(settings: SettingsFile): Promise<void> {
    const checked = settingsFileSchema.parse(settings);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }

  private async refuse(reason: string, backup: boolean): Promise<LoadedSettings> {
    if (backup) {
      try {
        await copyFile(this.path, this.backupPath);
      } catch {
        // The refusal is what matters; a missing backup is reported by its absence.
      }
    }
    return {
      settings: defaultSettings(),
      problem: { path: this.path, reason, backupPath: this.backupPath },
    };
  }
}
