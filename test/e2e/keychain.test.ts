// keytar against a real Secret Service: gnome-keyring-daemon in a private D-Bus session
// (dbus-run-session), with HOME and XDG dirs in a temp folder so the machine's own keyrings are
// never touched. Needs the Debian packages dbus-daemon (dbus-run-session), gnome-keyring and
// libsecret-1-0.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function which(program: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${program}`]);
    return true;
  } catch {
    return false;
  }
}

describe('keychain (keytar + gnome-keyring Secret Service)', () => {
  let home: string;
  let fixture: string;

  beforeAll(async () => {
    for (const program of ['dbus-run-session', 'gnome-keyring-daemon']) {
      if (!(await which(program))) {
        throw new Error(
          `${program} is missing: install the Debian packages dbus-daemon, gnome-keyring and libsecret-1-0`,
        );
      }
    }
    home = mkdtempSync(join(tmpdir(), 'passerelle-keyring-'));
    // Bundled next to node_modules so that the native keytar module resolves as in the app.
    const outDir = join(ROOT, 'test-artifacts', 'keychain');
    mkdirSync(outDir, { recursive: true });
    fixture = join(outDir, 'keychain-fixture.mjs');
    await build({
      entryPoints: [join(ROOT, 'test', 'e2e', 'fixtures', 'keychain-fixture.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['keytar'],
      outfile: fixture,
    });
  });

  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('stores, reads, overwrites and forgets a password', async () => {
    const runtime = join(home, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_RUNTIME_DIR: runtime,
      PASSERELLE_KEYCHAIN_SERVICE: `passerelle-test-${process.pid}`,
    };
    // The login keyring is created and unlocked with a throwaway password; the daemon dies
    // with the private bus when the session ends.
    const script =
      'echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ' +
      `exec "${process.execPath}" "${fixture}"`;
    const { stdout } = await run('dbus-run-session', ['--', 'sh', '-c', script], {
      env,
      timeout: 30_000,
    });
    const lastLine = stdout.trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(lastLine)).toEqual({
      account: 'alice@vpn.corp.test:8443',
      before: null,
      afterSet: 'pässwörd with spaces & symbols',
      afterOverwrite: 'pässwörd with spaces & symbols!',
      deleted: true,
      afterDelete: null,
      deletedAgain: false,
    });
  });
});
