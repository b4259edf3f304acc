// Asks the session bus whether a StatusNotifierItem host runs (what shows tray icons on KDE,
// most panels, and GNOME with the AppIndicator extension): is the name
// org.kde.StatusNotifierWatcher owned? Through dbus-send (Debian's dbus-bin), never a shell,
// bounded in time; null when it cannot be asked.
import { execFile } from 'node:child_process';

export type CommandRunner = (
  file: string,
  args: string[],
  timeoutMs: number,
) => Promise<{ stdout: string }>;

const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) =>
      err ? reject(err) : resolve({ stdout }),
    );
  });

export const STATUS_NOTIFIER_WATCHER = 'org.kde.StatusNotifierWatcher';

export async function statusNotifierWatcherPresent(
  run: CommandRunner = runCommand,
): Promise<boolean | null> {
  try {
    const { stdout } = await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        `string:${STATUS_NOTIFIER_WATCHER}`,
      ],
      1500,
    );
    const answer = /boolean\s+(true|false)/.exec(stdout)?.[1];
    return answer === undefined ? null : answer === 'true';
  } catch {
    return null; // no dbus-send, no session bus, or no answer in time
  }
}
