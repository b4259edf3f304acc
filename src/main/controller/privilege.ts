// The GUI never holds privilege: the installed binary gets CAP_NET_ADMIN (docs/desktop.md), and
// running the whole Electron app as root is refused unless a developer asks for it explicitly.
export const DEV_ALLOW_ROOT_FLAG = '--dev-allow-root';
export const DEV_ALLOW_ROOT_ENV = 'PASSERELLE_DEV_ALLOW_ROOT';

/** Returns why the app must not start, or null when it may. */
export function rootRefusal(
  uid: number | undefined,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  if (uid !== 0) return null;
  if (argv.includes(DEV_ALLOW_ROOT_FLAG) || env[DEV_ALLOW_ROOT_ENV] === '1') return null;
  return (
    'Passerelle must not be run as root: a browser engine with full privileges is a needless risk. ' +
    'Start it as your own user; the installed app already has the one privilege it needs ' +
    '(CAP_NET_ADMIN, see docs/desktop.md). For development inside a test namespace, start it with ' +
    `${DEV_ALLOW_ROOT_FLAG} or ${DEV_ALLOW_ROOT_ENV}=1.`
  );
}
