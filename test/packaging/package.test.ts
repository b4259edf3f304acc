// The package is complete and ships as designed: electron-builder builds the unpacked Linux app
// and the .deb from electron-builder.yml, with a stand-in Electron folder (Electron's binary
// cannot be downloaded here) whose binary carries the fuse wire, and the deb written through
// build/linux/fpm-deb.mjs as `npm run dist` does. Then: the main process's whole import graph
// loads from the extracted app.asar in plain Node with only `electron` replaced; the fuses are
// set; the deb's control data and maintainer scripts (run with stand-in commands in a private
// mount namespace) are what an installed system gets; the helper's unit verifies.
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { extractAll, listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../src/lab/gateway-lab.js';
import { DEFAULT_HELPER_SOCKET } from '../../src/shared/helper-protocol.js';

const run = promisify(execFile);
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLE = 0x31;
const DISABLE = 0x30;
const LOADER = join(ROOT, 'test/packaging/fixtures/load-main.mjs');
const UNIT = join(ROOT, 'build/linux/passerelle-helper.service');

let work: string;
let unpacked: string;
let deb: string;
let extracted: string;
let control: string;

/**
 * A folder shaped like Electron's Linux zip. The binary is a script carrying the fuse wire as
 * Electron 45 ships it (wire version 1, 8 fuses; run-as-node, NODE_OPTIONS and --inspect
 * enabled), so that electron-builder's @electron/fuses finds and flips it.
 */
function standInElectron(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const wire = Buffer.from([
    0x01,
    8,
    ENABLE,
    DISABLE,
    ENABLE,
    ENABLE,
    DISABLE,
    DISABLE,
    DISABLE,
    ENABLE,
  ]);
  writeFileSync(
    join(dir, 'electron'),
    Buffer.concat([
      Buffer.from(`#!/bin/sh\n# stand-in for Electron's binary: `),
      Buffer.from(SENTINEL),
      wire,
      Buffer.from('\necho "a stand-in, not Electron" >&2\nexit 1\n'),
    ]),
    { mode: 0o755 },
  );
  for (const file of ['chrome-sandbox', 'LICENSE', 'LICENSES.chromium.html', 'version'])
    writeFileSync(join(dir, file), '');
}

/** The stand-in commands the maintainer scripts may call: each logs its argv and exits. */
function stubCommands(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const names = [
    'ln',
    'chmod',
    'rm',
    'cp',
    'unshare',
    'update-mime-database',
    'update-desktop-database',
    'apparmor_status',
    'apparmor_parser',
    'ischroot',
    'systemctl',
  ];
  for (const name of names) {
    writeFileSync(
      join(dir, name),
      [
        '#!/bin/sh',
        `if [ $# -gt 0 ]; then echo "${name} $*"; else echo "${name}"; fi >>"$STUB_LOG"`,
        // STUB_FAIL: names (or "all") that fail; ischroot answers "not a chroot" by default.
        `case " $STUB_FAIL " in *" all "*|*" ${name} "*) exit 1 ;; esac`,
        name === 'ischroot' ? 'exit 1' : 'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  return dir;
}

interface ScriptRun {
  code: number;
  calls: string[];
  stderr: string;
}

/**
 * Runs a maintainer script as dpkg would (/bin/sh SCRIPT ARG), with only the stand-in commands
 * on PATH, in a private mount namespace whose /run says whether systemd is running: nothing
 * on this machine is changed.
 */
async function runScript(
  script: string,
  arg: string,
  options: { systemdRunning: boolean; fail?: string },
): Promise<ScriptRun> {
  const log = join(work, `calls-${Date.now()}-${Math.random()}`);
  writeFileSync(log, '');
  const setup = options.systemdRunning
    ? 'mount -t tmpfs none /run && mkdir -p /run/systemd/system'
    : 'mount -t tmpfs none /run';
  try {
    const { stderr } = await run(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        `${setup} && exec env -i PATH="$0" STUB_LOG="$1" STUB_FAIL="$2" /bin/sh "$3" "$4"`,
        join(work, 'stubs'),
        log,
        options.fail ?? '',
        script,
        arg,
      ],
      { timeout: 30_000 },
    );
    return { code: 0, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean), stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      calls: readFileSync(log, 'utf8').split('\n').filter(Boolean),
      stderr: e.stderr ?? '',
    };
  }
}

beforeAll(async () => {
  for (const built of [
    'dist/main/electron/main.js',
    'dist/main/electron/preload.cjs',
    'dist/renderer/index.html',
    'dist/helper-service/passerelle-helper.mjs',
    'dist/helper-service/passerelle_peer.node',
    'src/native/build/Release/passerelle_client.node',
  ]) {
    if (!existsSync(join(ROOT, built)))
      throw new Error(
        `${built} is missing: run npm run build, build:preload, build:renderer and build:helper first`,
      );
  }
  work = mkdtempSync(join(tmpdir(), 'passerelle-package-'));
  chmodSync(work, 0o755); // the app is loaded as an ordinary user
  standInElectron(join(work, 'electron-dist'));
  stubCommands(join(work, 'stubs'));
  const out = join(work, 'out');
  try {
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/electron-builder/cli.js'),
        '--linux',
        'deb',
        '--projectDir',
        ROOT,
        `-c.electronDist=${join(work, 'electron-dist')}`,
        `-c.directories.output=${out}`,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, CUSTOM_FPM_PATH: join(ROOT, 'build/linux/fpm-deb.mjs') },
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`electron-builder failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  unpacked = join(out, 'linux-unpacked');
  deb = join(out, 'passerelle_0.1.0_amd64.deb');
  extracted = join(work, 'app');
  extractAll(join(unpacked, 'resources/app.asar'), extracted);
  control = join(work, 'control');
  execFileSync('dpkg-deb', ['--control', deb, control]);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * Loads the main process from `appRoot` in plain Node (fixtures/load-main.mjs), as an ordinary
 * user (nobody) like the installed app: it then goes past the root check as far as waiting for
 * Electron to be ready.
 */
async function loadMain(appRoot: string) {
  const { stdout } = await run(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, LOADER, appRoot],
    { cwd: '/', timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
    loaded: string[];
    electronCalls: string[];
    keytar: string;
    addon: string;
    libraries: { openssl: string; nghttp2: string; bindings: Record<string, string> } | null;
  };
}

describe('the unpacked Linux app', () => {
  it("loads the main process's whole import graph from app.asar, only electron replaced", async () => {
    const result = await loadMain(extracted);
    const files = result.loaded.filter((url) => url.startsWith('file:'));
    // Everything came from the package, nothing from this checkout's node_modules.
    expect(files.filter((url) => !url.startsWith(`file://${extracted}/`))).toEqual([]);
    for (const module of [
      'dist/main/electron/main.js',
      'dist/main/controller/controller.js',
      'dist/main/engine/engine.js',
      'dist/main/engine/access/helper.js',
      'dist/native/client.js',
      'dist/native/load.js',
      'dist/shared/helper-protocol.js',
    ])
      expect(files).toContain(`file://${extracted}/${module}`);
    // The main process ran up to waiting for Electron to be ready.
    expect(result.electronCalls).toEqual(
      expect.arrayContaining(['app.requestSingleInstanceLock', 'app.whenReady']),
    );
    // Its run-time loads: keytar on the first keychain use, the addon at the first connect.
    expect(result.keytar).toBe('function');
    expect(result.addon).toBe('loaded');
    // Loaded from the package as the engine loads it, the data plane's calls reach Debian's
    // libraries (the .deb depends on them), never Node's (or Electron's) own copies.
    expect(result.libraries?.openssl).toMatch(/^OpenSSL 3\./);
    const bindings = Object.entries(result.libraries?.bindings ?? {});
    expect(bindings.length).toBeGreaterThan(0);
    for (const [fn, object] of bindings)
      expect(`${fn} → ${object}`).toMatch(
        fn.startsWith('nghttp2_') ? /libnghttp2\.so\.14/ : /lib(ssl|crypto)\.so\.3/,
      );
  });

  it('the same check fails when a file the main process imports is missing', async () => {
    const broken = join(work, 'app-without-native');
    cpSync(extracted, broken, { recursive: true });
    rmSync(join(broken, 'dist/native/client.js'));
    await expect(loadMain(broken)).rejects.toThrow(
      /ERR_MODULE_NOT_FOUND[\s\S]*dist\/native\/client\.js/,
    );
  });

  it('and when the data plane addon is missing, it says so', async () => {
    const broken = join(work, 'app-without-addon');
    cpSync(extracted, broken, { recursive: true });
    rmSync(join(broken, 'src/native/build/Release/passerelle_client.node'));
    expect((await loadMain(broken)).addon).toMatch(/^missing: cannot load the native addon/);
  });

  it('ships what the main process uses, not the gateway nor the already bundled React', () => {
    const files = listPackage(join(unpacked, 'resources/app.asar'), { isPack: false });
    const modules = new Set(
      files.filter((f) => f.startsWith('/node_modules/')).map((f) => f.split('/')[2]),
    );
    for (const unwanted of ['react', 'react-dom', 'prom-client', 'yaml', 'electron'])
      expect(modules.has(unwanted), unwanted).toBe(false);
    expect(files.some((f) => f.startsWith('/dist/gateway/'))).toBe(false);
    expect(files).toContain('/dist/renderer/index.html');
    expect(files).toContain('/dist/main/electron/preload.cjs');
    // Native modules load from real files beside the archive.
    for (const native of [
      'src/native/build/Release/passerelle_client.node',
      'node_modules/keytar/build/Release/keytar.node',
    ])
      expect(existsSync(join(unpacked, 'resources/app.asar.unpacked', native)), native).toBe(true);
    for (const helperFile of ['passerelle-helper.mjs', 'passerelle_peer.node', 'README.md'])
      expect(existsSync(join(unpacked, 'resources/helper', helperFile)), helperFile).toBe(true);
    expect(existsSync(join(unpacked, 'resources/apparmor-profile'))).toBe(true);
  });

  it('sets the fuses: no run-as-node, no inspector, no NODE_OPTIONS, the app from the asar only', async () => {
    const fuses = await getCurrentFuseWire(join(unpacked, 'passerelle-desktop'));
    expect(fuses[FuseV1Options.RunAsNode]).toBe(DISABLE);
    expect(fuses[FuseV1Options.EnableNodeCliInspectArguments]).toBe(DISABLE);
    expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(DISABLE);
    expect(fuses[FuseV1Options.OnlyLoadAppFromAsar]).toBe(ENABLE);
    expect(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(ENABLE);
    expect(fuses[FuseV1Options.EnableCookieEncryption]).toBe(ENABLE);
    expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(DISABLE);
  });
});

describe('the .deb', () => {
  const field = (name: string) =>
    execFileSync('dpkg-deb', ['--field', deb, name], { encoding: 'utf8' }).trim();
  const fileInDeb = (path: string) =>
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$0" | tar -xO "$1"', deb, `.${path}`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });

  it('control data: name, version, homepage, maintainer, and what it depends on', () => {
    expect(field('Package')).toBe('passerelle');
    expect(field('Version')).toBe('0.1.0');
    expect(field('Architecture')).toBe('amd64');
    expect(field('Homepage')).toMatch(/^https:\/\//);
    expect(field('Maintainer')).toMatch(/<.+@.+>/);
    const depends = field('Depends').split(/,\s*/);
    for (const needed of [
      'nodejs (>= 18)',
      'iproute2',
      'systemd',
      'libsecret-1-0',
      'libnss3',
      // The client's data plane links Debian's OpenSSL 3 and nghttp2.
      'libssl3',
      'libnghttp2-14',
    ])
      expect(depends).toContain(needed);
    // No file capability any more: nothing needs libcap2-bin's setcap.
    expect(depends).not.toContain('libcap2-bin');
  });

  it('installs the helper, its unit, the desktop entry and the AppArmor profile', () => {
    const listing = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8' });
    for (const path of [
      './usr/lib/systemd/system/passerelle-helper.service',
      './opt/Passerelle/resources/helper/passerelle-helper.mjs',
      './opt/Passerelle/resources/helper/passerelle_peer.node',
      './opt/Passerelle/resources/apparmor-profile',
      './opt/Passerelle/passerelle-desktop',
      './usr/share/applications/passerelle-desktop.desktop',
    ])
      expect(listing).toContain(path);
    expect(fileInDeb('/usr/lib/systemd/system/passerelle-helper.service')).toBe(
      readFileSync(UNIT, 'utf8'),
    );
    expect(fileInDeb('/opt/Passerelle/resources/apparmor-profile')).toMatch(
      /profile "passerelle-desktop" "\/opt\/Passerelle\/passerelle-desktop"/,
    );
  });

  it('maintainer scripts: postinst, prerm, postrm, with the macros filled in and no setcap', () => {
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const text = readFileSync(join(control, script), 'utf8');
      expect(text, script).not.toMatch(/\$\{(executable|sanitizedProductName)\}/);
      expect(text, script).not.toMatch(/\bsetcap\b/);
      execFileSync('sh', ['-n', join(control, script)]);
    }
    expect(readFileSync(join(control, 'postinst'), 'utf8')).toContain(
      "PRODUCT_DIR='/opt/Passerelle'",
    );
  });

  it('postinst on a systemd machine with AppArmor: link, sandbox, AppArmor profile, helper enabled and started', async () => {
    const r = await runScript(join(control, 'postinst'), 'configure', { systemdRunning: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/not found/);
    expect(r.calls).toEqual([
      'ln -sf /opt/Passerelle/passerelle-desktop /usr/bin/passerelle-desktop',
      'unshare --user true',
      'chmod 0755 /opt/Passerelle/chrome-sandbox',
      'update-mime-database /usr/share/mime',
      'update-desktop-database /usr/share/applications',
      'apparmor_status --enabled',
      'apparmor_parser --skip-kernel-load --debug /opt/Passerelle/resources/apparmor-profile',
      'cp -f /opt/Passerelle/resources/apparmor-profile /etc/apparmor.d/passerelle-desktop',
      'ischroot',
      'apparmor_parser --replace --write-cache --skip-read-cache /etc/apparmor.d/passerelle-desktop',
      'systemctl daemon-reload',
      'systemctl enable passerelle-helper.service',
      'systemctl restart passerelle-helper.service',
    ]);
  });

  it('postinst where everything fails (no AppArmor, no xattrs, systemctl refusing): still configured, saying what to do', async () => {
    const r = await runScript(join(control, 'postinst'), 'configure', {
      systemdRunning: true,
      fail: 'all',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/not found/);
    expect(r.stderr).toMatch(/systemctl enable --now passerelle-helper\.service/);
    expect(r.stderr).toMatch(/could not start passerelle-helper\.service/);
    expect(r.calls).not.toContain(
      'cp -f /opt/Passerelle/resources/apparmor-profile /etc/apparmor.d/passerelle-desktop',
    );
  });

  it('postinst in a container or chroot without systemd running: enabled for the next boot, not started', async () => {
    const r = await runScript(join(control, 'postinst'), 'configure', { systemdRunning: false });
    expect(r.code).toBe(0);
    expect(r.calls).toContain('systemctl enable passerelle-helper.service');
    expect(r.calls).not.toContain('systemctl restart passerelle-helper.service');
    expect(r.calls).not.toContain('systemctl daemon-reload');
    expect(r.stderr).toMatch(/systemd is not running here/);
  });

  it('prerm stops the helper (undoing every tunnel) and disables it on removal only', async () => {
    const remove = await runScript(join(control, 'prerm'), 'remove', { systemdRunning: true });
    expect(remove.code).toBe(0);
    expect(remove.calls).toEqual([
      'systemctl stop passerelle-helper.service',
      'systemctl disable passerelle-helper.service',
    ]);
    const upgrade = await runScript(join(control, 'prerm'), 'upgrade', { systemdRunning: true });
    expect(upgrade.calls).toEqual(['systemctl stop passerelle-helper.service']);
    const failing = await runScript(join(control, 'prerm'), 'remove', {
      systemdRunning: true,
      fail: 'all',
    });
    expect(failing.code).toBe(0);
  });

  it('postrm on removal tells systemd the unit is gone; never fails', async () => {
    const r = await runScript(join(control, 'postrm'), 'remove', { systemdRunning: true });
    expect(r.code).toBe(0);
    expect(r.calls).toContain('systemctl daemon-reload');
    const failing = await runScript(join(control, 'postrm'), 'purge', {
      systemdRunning: true,
      fail: 'all',
    });
    expect(failing.code).toBe(0);
  });
});

describe('the helper unit', () => {
  const unit = readFileSync(UNIT, 'utf8');

  it('has the hardening the design asks for', () => {
    for (const line of [
      'AmbientCapabilities=CAP_NET_ADMIN',
      'CapabilityBoundingSet=CAP_NET_ADMIN',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'RuntimeDirectory=passerelle-helper',
      'ReadWritePaths=-/etc/resolv.conf',
      'DevicePolicy=closed',
      'DeviceAllow=/dev/net/tun rw',
      'RestrictAddressFamilies=AF_UNIX AF_NETLINK',
    ])
      expect(unit.split('\n'), line).toContain(line);
  });

  it('starts the helper the .deb ships, on the socket the app looks for', () => {
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    expect(exec).toEqual([
      '/usr/bin/node',
      '/opt/Passerelle/resources/helper/passerelle-helper.mjs',
      '--socket',
      DEFAULT_HELPER_SOCKET,
    ]);
    expect(DEFAULT_HELPER_SOCKET.startsWith('/run/passerelle-helper/')).toBe(true);
  });

  it('passes systemd-analyze verify', async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', UNIT], { timeout: 30_000 });
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });
});
