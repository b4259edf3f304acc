// Start at login. Linux follows the XDG autostart spec (a .desktop file in
// $XDG_CONFIG_HOME/autostart); macOS and Windows use the login items the Electron shell
// reaches through app.setLoginItemSettings, passed in as functions so this stays Electron-free.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Passed on the command line of a start at login, so the app knows it was not opened by hand. */
export const AUTOSTART_FLAG = '--autostart';

export interface Autostart {
  isEnabled(): Promise<boolean>;
  setEnabled(enabled: boolean): Promise<void>;
}

/** Quotes one argument for the Exec key (Desktop Entry spec, "The Exec key"). */
export function quoteExecArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartDesktopEntry(execPath: string, args: readonly string[]): string {
  const exec = [execPath, ...args].map(quoteExecArg).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Passerelle',
    'Comment=Passerelle SSL-VPN',
    `Exec=${exec}`,
    'Icon=passerelle',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export interface XdgAutostartOptions {
  /** The binary to start: for an AppImage, $APPIMAGE, not the mounted path. */
  execPath: string;
  /** Extra arguments before AUTOSTART_FLAG (e.g. the app path when run as `electron .`). */
  args?: readonly string[];
  /** $XDG_CONFIG_HOME, else ~/.config. */
  configHome?: string;
}

export class XdgAutostart implements Autostart {
  readonly file: string;

  constructor(private readonly options: XdgAutostartOptions) {
    const base = options.configHome ?? (process.env.XDG_CONFIG_HOME || join(homedir(), '.config'));
    this.file = join(base, 'autostart', 'passerelle.desktop');
  }

  async isEnabled(): Promise<boolean> {
    try {
      const text = await readFile(this.file, 'utf8');
      // A user (or GNOME Tweaks) may have turned it off without deleting the file.
      return !/^(Hidden=true|X-GNOME-Autostart-enabled=false)$/m.test(text);
    } catch {
      return false;
    }
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (!enabled) {
      await rm(this.file, { force: true });
      return;
    }
    await mkdir(join(this.file, '..'), { recursive: true });
    const args = [...(this.options.args ?? []), AUTOSTART_FLAG];
    await writeFile(this.file, autostartDesktopEntry(this.options.execPath, args), { mode: 0o644 });
  }
}

/** The shape of Electron's app.setLoginItemSettings / getLoginItemSettings we need. */
export interface LoginItemFunctions {
  set(settings: { openAtLogin: boolean; args: string[] }): void;
  get(): { openAtLogin: boolean };
}

export class LoginItemAutostart implements Autostart {
  constructor(private readonly loginItems: LoginItemFunctions) {}

  async isEnabled(): Promise<boolean> {
    return this.loginItems.get().openAtLogin;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.loginItems.set({ openAtLogin: enabled, args: [AUTOSTART_FLAG] });
  }
}
