// The native addon against real kernel objects: a TUN device and ICMP echo sockets, always
// inside the lab's network namespaces. The device code runs in child processes started with
// `ip netns exec` (test/e2e/fixtures/native-*.mjs), which import the compiled wrapper
// dist/native/index.js; each prints JSON lines and must exit by itself once it closed what it
// opened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createLab, LAB, type Lab } from '../lab/lab.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'test', 'e2e', 'fixtures');
const addon = join(root, 'src', 'native', 'build', 'Release', 'passerelle_native.node');
const wrapperSource = join(root, 'src', 'native', 'index.ts');
const wrapperOutput = join(root, 'dist', 'native', 'index.js');
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
// Root without CAP_NET_ADMIN: dropped from the bounding set, so exec cannot grant it.
const NO_NET_ADMIN = ['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin'];
const TUN = 'passerelle0';

interface Line {
  event: string;
  [key: string]: unknown;
}

/** Fails early, with the command to run, when the addon is missing or older than its sources. */
function checkAddonBuilt(): void {
  const sources = [join(root, 'src', 'native', 'binding.gyp')].concat(
    readdirSync(join(root, 'src', 'native', 'addon')).map((f) =>
      join(root, 'src', 'native', 'addon', f),
    ),
  );
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!existsSync(addon) || statSync(addon).mtimeMs < newest) {
    throw new Error(
      `${addon} is missing or stale: run npx node-gyp rebuild --directory src/native`,
    );
  }
}

/**
 * The fixtures import dist/native/index.js. When it is older than the wrapper's source (no
 * `npm run build` since the last edit), compile just that file, as tsc would.
 */
function ensureWrapperCompiled(): void {
  if (
    existsSync(wrapperOutput) &&
    statSync(wrapperOutput).mtimeMs >= statSync(wrapperSource).mtimeMs
  ) {
    return;
  }
  const output = ts.transpileModule(readFileSync(wrapperSource, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: wrapperSource,
  });
  mkdirSync(dirname(wrapperOutput), { recursive: true });
  writeFileSync(wrapperOutput, output.outputText);
}

function lines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

function find(output: Line[], event: string): Line {
  const line = output.find((l) => l.event === event);
  if (!line) throw new Error(`no "${event}" line in ${JSON.stringify(output)}`);
  return line;
}

describe('native addon (TUN device, ICMP echo socket)', () => {
  let lab: Lab;

  /** Runs a fixture in `ns`, optionally under a setpriv prefix; a hang (process not exiting) is a failure. */
  async function fixture(
    ns: string,
    script: string,
    args: string[],
    opts: { prefix?: string[] } = {},
  ): Promise<{ code: number; output: Line[]; stderr: string }> {
    const argv = [process.execPath, join(fixtures, script), ...args];
    const r = await lab.exec(ns, [...(opts.prefix ?? []), ...argv], {
      timeoutMs: 25_000,
    });
    const output = lines(r.stdout);
    expect(output.map((l) => l.event)).not.toContain('watchdog');
    expect(output.map((l) => l.event)).not.toContain('failed');
    return { code: r.code, output, stderr: r.stderr };
  }

  beforeAll(async () => {
    checkAddonBuilt();
    ensureWrapperCompiled();
    lab = await createLab({ tag: 'n' });
  });

  afterAll(async () => {
    await lab?.down();
  });

  describe('TUN device', () => {
    it('reads an echo request from ping, and the reply written back reaches ping', async () => {
      const r = await fixture(lab.client, 'native-tun.mjs', ['echo', TUN]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(find(r.output, 'opened').name).toBe(TUN);

      const packet = Buffer.from(find(r.output, 'request').hex as string, 'hex');
      expect(packet[0]! >> 4).toBe(4); // IPv4
      expect(packet[0]! & 15).toBe(5); // 20-byte header, no options
      expect(packet.readUInt16BE(2)).toBe(packet.length); // total length: one whole packet
      expect(packet[9]).toBe(1); // ICMP
      expect([...packet.subarray(12, 16)].join('.')).toBe('10.200.0.1');
      expect([...packet.subarray(16, 20)].join('.')).toBe('10.200.0.2');
      expect(packet[20]).toBe(8); // echo request

      expect(find(r.output, 'write').result).toBe(true);
      expect(find(r.output, 'writeMany').result).toBe(2);
      const ping = find(r.output, 'ping');
      expect(ping.stdout).toMatch(/2 packets transmitted, 2 received/);
      expect(ping.code).toBe(0);
      // Closed, then the process ended by itself (exec returned without the watchdog).
      expect(r.output.at(-1)?.event).toBe('closed');

      // Closing the last fd of a non-persistent device removed the interface.
      const link = await lab.exec(lab.client, ['ip', 'link', 'show', TUN]);
      expect(link.code).not.toBe(0);
    });

    it('delivers queued packets in batches of at most `batch`, one callback each', async () => {
      const r = await fixture(lab.client, 'native-tun.mjs', ['batch', TUN]);
      expect(r.code).toBe(0);
      const { sizes, udp } = find(r.output, 'batches') as Line & { sizes: number[]; udp: number };
      expect(udp).toBe(200);
      expect(sizes[0]).toBe(32);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(32);
      expect(sizes.length).toBeGreaterThanOrEqual(7);
      expect(r.output.at(-1)?.event).toBe('closed');
    });

    it('fails with EPERM and says CAP_NET_ADMIN without that capability', async () => {
      // Root's uid still opens /dev/net/tun; only the capability is dropped.
      const r = await fixture(lab.client, 'native-tun.mjs', ['open', TUN], {
        prefix: NO_NET_ADMIN,
      });
      expect(r.code).toBe(0);
      const error = find(r.output, 'error');
      expect(error).toMatchObject({ nativeError: true, code: 'EPERM', syscall: 'ioctl' });
      expect(error.message).toBe(
        `opening TUN device ${TUN} needs CAP_NET_ADMIN (run as root or grant cap_net_admin, ` +
          'e.g. `setcap cap_net_admin+ep` on the executable)',
      );
    });

    it('fails with a clear NativeError for an ordinary user', async () => {
      const r = await fixture(lab.client, 'native-tun.mjs', ['open', TUN], { prefix: NOBODY });
      expect(r.code).toBe(0);
      const error = find(r.output, 'error');
      // Distributions make /dev/net/tun 0666 (then the kernel refuses the device: EPERM);
      // containers often leave it 0600 (then the open itself fails: EACCES).
      const mode = statSync('/dev/net/tun').mode & 0o777;
      if ((mode & 0o006) === 0o006) {
        expect(error).toMatchObject({ nativeError: true, code: 'EPERM', syscall: 'ioctl' });
        expect(error.message).toContain('needs CAP_NET_ADMIN');
      } else {
        expect(error).toMatchObject({ nativeError: true, code: 'EACCES', syscall: 'open' });
        expect(error.message).toContain('permission denied on /dev/net/tun');
      }
    });

    it('refuses a name in use (EBUSY), a non-TUN name (EINVAL) and writes after close', async () => {
      const r = await fixture(lab.client, 'native-tun.mjs', ['errors', TUN]);
      expect(r.code).toBe(0);
      const errors = r.output.filter((l) => l.event === 'error');
      expect(errors).toMatchObject([
        { name: TUN, nativeError: true, code: 'EBUSY', syscall: 'ioctl' },
        { name: 'lo', nativeError: true, code: 'EINVAL', syscall: 'ioctl' },
        { name: 'after close', nativeError: true, code: 'EBADF', syscall: 'write' },
      ]);
      expect(errors[0]!.message).toContain('already in use');
    });
  });

  describe('ICMP echo socket', () => {
    function expectReply(output: Line[], source: string): void {
      const opened = find(output, 'opened');
      const reply = output.find((l) => l.event === 'message' && l.sequence === 4242);
      expect(reply).toMatchObject({
        source,
        type: 0,
        code: 0,
        identifier: opened.identifier,
        payload: 'passerelle icmp echo',
      });
      expect(output.at(-1)?.event).toBe('closed');
    }

    it('uses an unprivileged ping socket where ping_group_range allows it', async () => {
      // The lab opens ping_group_range in the gateway namespace; run as nobody.
      for (const destination of ['127.0.0.1', LAB.web]) {
        const r = await fixture(lab.gateway, 'native-icmp.mjs', [destination], {
          prefix: NOBODY,
        });
        expect(r.code).toBe(0);
        expect(find(r.output, 'opened')).toMatchObject({ icmp: 1, raw: 0 });
        expectReply(r.output, destination);
      }
    });

    it('falls back to a raw socket as root when ping sockets are not allowed', async () => {
      const range = await lab.exec(lab.client, ['sysctl', '-n', 'net.ipv4.ping_group_range']);
      expect(range.stdout.trim().split(/\s+/)).toEqual(['1', '0']); // nobody allowed
      const r = await fixture(lab.client, 'native-icmp.mjs', ['127.0.0.1']);
      expect(r.code).toBe(0);
      expect(find(r.output, 'opened')).toMatchObject({ icmp: 0, raw: 1 });
      expectReply(r.output, '127.0.0.1');
    });

    it('says which sysctl to set when neither socket is allowed', async () => {
      const r = await fixture(lab.client, 'native-icmp.mjs', ['127.0.0.1'], { prefix: NOBODY });
      expect(r.code).toBe(0);
      const error = find(r.output, 'error');
      expect(error).toMatchObject({ nativeError: true, code: 'EACCES', syscall: 'socket' });
      expect(error.message).toContain('net.ipv4.ping_group_range');
    });
  });
});
