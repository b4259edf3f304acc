// How this copy of the app was installed: it decides what a user who lacks the privilege to
// create the network device is told to do (docs/desktop.md, "Errors").
import type { InstallKind } from '../../shared/ipc-schema.js';

export function installKind(input: {
  platform: string;
  /** Electron's app.isPackaged: false under `npm start`. */
  isPackaged: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): InstallKind {
  if (!input.isPackaged) return 'development';
  if (input.platform !== 'linux') return 'other';
  // The AppImage runtime sets $APPIMAGE to the file's path; the .deb is the other Linux package.
  return input.env.APPIMAGE ? 'appimage' : 'deb';
}
