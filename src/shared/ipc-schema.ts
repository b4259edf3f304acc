// The one IPC schema between the main process and the renderer. Every channel is listed here
// with its direction and types; the main-side handlers (src/main/controller) and the
// renderer API exposed by the preload are both derived from it (see ./ipc.ts).
import { z } from 'zod';
import type { EngineState, EngineStats } from '../main/engine/types.js';
import type { AllowedResource } from './protocol/session.js';
import type { TrafficSample } from './traffic-history.js';
import { invoke, notifyRenderer, type IpcRendererApi } from './ipc.js';

const none = z.null();

/** https://host[:port]; the gateway speaks TLS only. */
export const gatewayUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' && url.hostname !== '' && url.pathname === '/';
      } catch {
        return false;
      }
    },
    { message: 'must be https://host or https://host:port' },
  );

/** "sha256:…" pins the certificate, "spki-sha256:…" its public key (kept across renewals). */
export const pinSchema = z.string().regex(/^(spki-)?sha256:[A-Za-z0-9+/=:]+$/, {
  message: 'must look like sha256:<hex or base64> or spki-sha256:<hex or base64>',
});

export const profileIdSchema = z.string().regex(/^[a-z0-9-]{1,64}$/);

/** A saved connection. The password is never part of it: it lives in the OS keychain. */
export const profileSchema = z.object({
  id: profileIdSchema,
  name: z.string().trim().min(1).max(100),
  gatewayUrl: gatewayUrlSchema,
  username: z.string().min(1).max(256),
  /** Path of a PEM file with the CA that signed the gateway's certificate. */
  caPath: z.string().min(1).max(4096).optional(),
  /** Certificate pin, "sha256:…" (the certificate) or "spki-sha256:…" (its public key). */
  pin: pinSchema.optional(),
});
export type Profile = z.infer<typeof profileSchema>;

export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

export const preferencesSchema = z.object({
  startAtLogin: z.boolean(),
  connectAtStart: z.boolean(),
  startHidden: z.boolean(),
  /** 'system' follows the OS language. */
  language: z.enum(['system', ...LANGUAGES]),
  theme: z.enum(['system', 'light', 'dark']),
});
export type Preferences = z.infer<typeof preferencesSchema>;

export const loginRequestSchema = z.object({
  gatewayUrl: gatewayUrlSchema,
  username: z.string().min(1).max(256),
  /** Empty: use the password remembered for this profile. */
  password: z.string().max(1024),
  otp: z
    .string()
    .regex(/^[0-9]{6,8}$/)
    .optional(),
  remember: z.boolean(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** What the tunnel.login call answers: the profile, and whether "remember" could be honoured. */
export interface LoginResult {
  profile: Profile;
  /**
   * Set when the tunnel is up but the password could not be saved in the system keychain
   * although "remember" was ticked: the window says so and offers to go on without it.
   */
  passwordNotSaved: string | null;
}

/** EngineStats plus the rates the main process derives from successive samples. */
export interface TunnelStats extends EngineStats {
  /** Epoch ms of this sample. */
  at: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
}

export interface TunnelSnapshot {
  state: EngineState;
  stats: TunnelStats | null;
  resources: AllowedResource[];
  /** Throughput and round trip over the last minutes, oldest first (the traffic graph). */
  history: TrafficSample[];
}

export interface ProfilesSnapshot {
  profiles: Profile[];
  activeId: string | null;
  /** Profile ids that have a password in the keychain. */
  remembered: string[];
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  time: number;
}

/**
 * How this copy of the app was installed, which decides what to tell a user it lacks the
 * privilege to create its network device: the .deb (set up to have it), the AppImage (cannot
 * have it by itself), a development build (npm start), or another platform.
 */
export type InstallKind = 'deb' | 'appimage' | 'development' | 'other';

export interface AppInfo {
  version: string;
  platform: string;
  /** The OS language, e.g. "fr-FR". */
  osLocale: string;
  /** Set when the settings file was refused and defaults are in use. */
  settingsProblem: { path: string; reason: string; backupPath: string } | null;
  installKind: InstallKind;
  /** false on desktops that show no tray icon (stock GNOME): closing then does not hide. */
  trayAvailable: boolean;
}

export const ipcSchema = {
  app: {
    info: invoke<AppInfo>()(none),
    /** Shows the window (from a notification) or hides it to the tray. */
    hideWindow: invoke<void>()(none),
    /**
     * Puts what support asks for on the clipboard (version, OS, state, last errors, counters),
     * with no password, code or token; answers the text, for the window to show.
     */
    copyDiagnostics: invoke<string>()(none),
    /** AppInfo changed (e.g. the refused settings file was replaced by a good one). */
    infoChanged: notifyRenderer<AppInfo>(),
  },
  tunnel: {
    snapshot: invoke<TunnelSnapshot>()(none),
    /** Saves or updates the profile for this gateway and user, then connects. */
    login: invoke<LoginResult>()(loginRequestSchema),
    /** Connects the active profile with its remembered password. */
    connect: invoke<void>()(z.object({ otp: z.string().regex(/^[0-9]{6,8}$/) }).nullable()),
    disconnect: invoke<void>()(none),
    state: notifyRenderer<EngineState>(),
    stats: notifyRenderer<TunnelStats>(),
    resources: notifyRenderer<AllowedResource[]>(),
  },
  profiles: {
    list: invoke<ProfilesSnapshot>()(none),
    /** Creates (no id) or replaces (id) a profile. */
    save: invoke<Profile>()(profileSchema.partial({ id: true })),
    remove: invoke<void>()(z.object({ id: profileIdSchema })),
    select: invoke<void>()(z.object({ id: profileIdSchema })),
    /** Removes the profile's password from the OS keychain. */
    forgetPassword: invoke<void>()(z.object({ id: profileIdSchema })),
    /** Saves the profile's password in the OS keychain (again, after it failed at login). */
    rememberPassword: invoke<void>()(
      z.object({ id: profileIdSchema, password: z.string().min(1).max(1024) }),
    ),
    changed: notifyRenderer<ProfilesSnapshot>(),
  },
  preferences: {
    get: invoke<Preferences>()(none),
    update: invoke<Preferences>()(preferencesSchema.partial()),
    changed: notifyRenderer<Preferences>(),
  },
  logs: {
    list: invoke<LogLine[]>()(none),
    clear: invoke<void>()(none),
    /** Copies the whole log to the clipboard, as text. */
    copy: invoke<void>()(none),
    /** Asks where to save the log as a text file; answers the path, or null when cancelled. */
    save: invoke<{ path: string } | null>()(none),
    line: notifyRenderer<LogLine>(),
  },
} as const;

export type PasserelleSchema = typeof ipcSchema;
/** What the preload exposes as `window.passerelle`. */
export type PasserelleApi = IpcRendererApi<PasserelleSchema>;
