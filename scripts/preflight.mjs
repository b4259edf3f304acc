#!/usr/bin/env node
// Says what a machine lacks before a command fails deep inside a compiler or a test: the
// Debian packages as one apt-get line, root, a prior build. Plain JavaScript with no
// dependency, so it runs before anything is built; a few file checks, so it costs nothing.
//
//   node scripts/preflight.mjs install      npm ci: building the native addon
//   node scripts/preflight.mjs test         npm test: every test, the netns lab included
//   node scripts/preflight.mjs test-ui      npm run test:ui: Chromium, and the UI lab test
//   node scripts/preflight.mjs ui-preview   npm run ui:preview: Chromium
//
// PASSERELLE_SKIP_PREFLIGHT=1 skips it (a machine set up differently, on purpose).
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A program the command runs, and the Debian package that has it. */
const program = (name, pkg) => ({ kind: 'program', name, pkg });
/** A file that must exist, the package that has it (or null), and what to do otherwise. */
const file = (paths, pkg, what) => ({ kind: 'file', paths, pkg, what });

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
];

// What each part needs. The native addon's build: add a header check here with its -dev
// package whenever binding.gyp starts linking a library.
const NATIVE_BUILD = [
  program('python3', 'python3'),
  program('make', 'make'),
  program('g++', 'g++'),
  file(['/usr/include/openssl/ssl.h'], 'libssl-dev', 'the OpenSSL 3 headers and library'),
  file(['/usr/include/nghttp2/nghttp2.h'], 'libnghttp2-dev', 'the nghttp2 headers and library'),
];
// The native code's standalone tests (src/native/test/Makefile): clang with AddressSanitizer,
// UBSan and libFuzzer, and a symbolizer for readable reports.
const NATIVE_TESTS = [
  program('clang++', 'clang'),
  program('llvm-symbolizer', 'llvm'),
  file(
    [
      '/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a',
      '/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-aarch64.a',
    ],
    'libclang-rt-14-dev',
    'libFuzzer and the sanitizer runtimes',
  ),
];
const LAB = [
  program('ip', 'iproute2'),
  program('ss', 'iproute2'),
  program('curl', 'curl'),
  program('dig', 'dnsutils'),
  program('dnsmasq', 'dnsmasq-base'),
  program('ping', 'iputils-ping'),
  program('setpriv', 'util-linux'),
  program('sysctl', 'procps'),
  program('openssl', 'openssl'),
  file(['/dev/net/tun'], null, 'the TUN device /dev/net/tun (mknod /dev/net/tun c 10 200)'),
];
const KEYCHAIN = [
  program('gnome-keyring-daemon', 'gnome-keyring'),
  program('dbus-run-session', 'dbus'),
  program('dbus-daemon', 'dbus-daemon'),
  file(
    LIB_DIRS.map((dir) => join(dir, 'libsecret-1.so.0')),
    'libsecret-1-0',
    'libsecret (keytar talks to the keychain through it)',
  ),
];
// The UI tests start /usr/bin/chromium by that path (test/ui/support/harness.ts).
const BROWSER = [
  file(['/usr/bin/chromium'], 'chromium', 'Chromium at /usr/bin/chromium'),
  file(
    ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'],
    'fonts-dejavu-core',
    'a font for the screenshots',
  ),
];
const ADDON = file(
  [
    join(ROOT, 'src/native/build/Release/passerelle_native.node'),
    join(ROOT, 'src/native/build/Release/passerelle_client.node'),
  ],
  null,
  'the native addons: run npm ci (or npx node-gyp rebuild --directory src/native)',
);
const BUILT = file(
  [join(ROOT, 'dist/cli/gateway.js'), join(ROOT, 'dist/lab/intranet-server.js')],
  null,
  'a build of the gateway and the lab servers: run npm run build first',
);

export const MODES = {
  install: { what: 'npm ci (building the native addon)', checks: NATIVE_BUILD, root: false },
  test: {
    what: 'npm test',
    checks: [...NATIVE_BUILD, ...NATIVE_TESTS, ...LAB, ...KEYCHAIN, ...BROWSER, ADDON],
    root: true,
  },
  'test-ui': { what: 'npm run test:ui', checks: [...LAB, ...BROWSER, ADDON, BUILT], root: true },
  'ui-preview': { what: 'npm run ui:preview', checks: BROWSER, root: false },
};

/** The real machine: PATH lookups, files, the user id. */
export const SYSTEM = {
  hasProgram(name) {
    // The sbin folders too: the lab runs dnsmasq and sysctl as root, whatever this PATH says.
    const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
    for (const dir of dirs) {
      if (!dir) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        // not in this folder
      }
    }
    return false;
  },
  exists: (path) => existsSync(path),
  uid: process.getuid?.() ?? 0,
};

/**
 * What is missing for `mode`: Debian packages to install, other problems in words (root, a
 * build to run). Pure, given the probe.
 */
export function findProblems(mode, probe = SYSTEM) {
  const spec = MODES[mode];
  if (!spec) throw new Error(`unknown mode "${mode}" (one of ${Object.keys(MODES).join(', ')})`);
  const packages = new Set();
  const problems = [];
  for (const check of spec.checks) {
    const present =
      check.kind === 'program'
        ? probe.hasProgram(check.name)
        : // A file check passes when all its paths exist, or for libraries in one of the folders.
          check.paths.length > 1 && check.pkg
          ? check.paths.some((p) => probe.exists(p))
          : check.paths.every((p) => probe.exists(p));
    if (present) continue;
    if (check.pkg) packages.add(check.pkg);
    else problems.push(`missing ${check.what}`);
  }
  if (spec.root && probe.uid !== 0)
    problems.push(
      'not root: the end-to-end tests build network namespaces and TUN devices; run it as root (sudo -E npm …)',
    );
  return { packages: [...packages].sort(), problems };
}

/** The message for the user, or null when nothing is missing. */
export function report(mode, found) {
  if (found.packages.length === 0 && found.problems.length === 0) return null;
  const lines = [`Passerelle: ${MODES[mode].what} cannot run on this machine yet.`];
  for (const problem of found.problems) lines.push(`  - ${problem}`);
  if (found.packages.length > 0) {
    lines.push(
      '  - missing Debian packages; install them with:',
      `      sudo apt-get install -y ${found.packages.join(' ')}`,
    );
  }
  lines.push(
    '(.ci/run sets up a fresh Debian machine; PASSERELLE_SKIP_PREFLIGHT=1 skips this check.)',
  );
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const mode = process.argv[2] ?? '';
  if (process.env.PASSERELLE_SKIP_PREFLIGHT === '1') process.exit(0);
  if (!MODES[mode]) {
    console.error(`usage: node scripts/preflight.mjs ${Object.keys(MODES).join('|')}`);
    process.exit(2);
  }
  // Only Linux is set up for the lab and the native build today.
  if (process.platform !== 'linux') process.exit(0);
  const message = report(mode, findProblems(mode));
  if (message) {
    console.error(message);
    process.exit(1);
  }
}
