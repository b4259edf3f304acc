// The GUI never holds privilege (docs/desktop.md, "Privilege"): what needs CAP_NET_ADMIN is done
// by the helper service, so the app runs as the user, and running the whole Electron app as root
// is refused. A developer may override that in an unpackaged build only (e.g. inside a test
// network namespace); the installed app has no such switch, nor developer tools.
export const DEV_ALLOW_ROOT_FLAG = '--dev-allow-root';
export const DEV_ALLOW_ROOT_ENV = 'PASSERELLE_DEV_ALLOW_ROOT';
export const DEV_TOOLS_FLAG = '--dev-tools';

/** Returns why the app must not start, or null when it may. */
export function rootRefusal(
  uid: number | undefined,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  packaged: boolean,
): string | null {
  if (uid !== 0) return null;
  const overridden = argv.includes(DEV_ALLOW_ROOT_FLAG) || env[DEV_ALLOW_ROOT_ENV] === '1';
  if (overridden && !packaged) return null;
  return (
    'Passerelle must not be run as root: a browser engine with full privileges is a needless risk. ' +
    'Start it as your own user; the passerelle-helper service does the one privileged part ' +
    '(the network device, routes and DNS; see docs/desktop.md).' +
    (packaged
      ? ''
      : ` For development inside a test namespace, start it with ${DEV_ALLOW_ROOT_FLAG} or ${DEV_ALLOW_ROOT_ENV}=1.`)
  );
}

/** Developer tools only when asked for, and never in the installed app. */
export function devToolsAllowed(argv: readonly string[], packaged: boolean): boolean {
  return !packaged && argv.includes(DEV_TOOLS_FLAG);
}
