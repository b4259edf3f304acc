// The privileged helper in the lab: a local user created for the test (removed afterwards), the
// helper started in the client namespace as root but confined as its systemd unit confines it
// (CAP_NET_ADMIN as the only capability, in the bounding set too, no new privileges), and
// programs run as the test user without any capability.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from '../../src/lab/gateway-lab.js';
import { waitFor, type Lab } from '../../src/lab/netns.js';

const run = promisify(execFile);

/** What the .deb ships: the bundled helper (npm run build:helper). */
export const HELPER_BUNDLE = join(ROOT, 'dist/helper-service/passerelle-helper.mjs');
export const HELPER_UNIT = join(ROOT, 'build/linux/passerelle-helper.service');
/** Debian 12's nodejs 18, unpacked (build/linux/fetch-debian-node.sh). */
const DEBIAN_NODE_DIR = join(ROOT, 'test-artifacts', 'debian-node18');
export const HELPER_PROBE = join(ROOT, 'test/e2e/fixtures/helper-probe.mjs');

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  /** argv prefix: run as this user, no capability in any set, no way to gain one. */
  prefix: string[];
  remove(): Promise<void>;
}

/** An ordinary local user (useradd), unique to this process. */
export async function createLocalUser(tag: string): Promise<LocalUser> {
  const name = `pl${tag}${process.pid % 100000}`;
  await run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  return {
    name,
    uid,
    gid,
    prefix: [
      'setpriv',
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
    ],
    async remove() {
      await run('userdel', [name]).catch(() => undefined);
    },
  };
}

/** The capability sets of a process, from /proc/<pid>/status. */
export async function capabilities(
  lab: Lab,
  pid: number,
): Promise<{ uid: number; eff: bigint; prm: bigint; bnd: bigint; noNewPrivs: boolean }> {
  const { stdout } = await lab.exec(lab.client, ['cat', `/proc/${pid}/status`]);
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(stdout)?.[1] ?? '';
  return {
    uid: Number(field('Uid')),
    eff: BigInt(`0x${field('CapEff')}`),
    prm: BigInt(`0x${field('CapPrm')}`),
    bnd: BigInt(`0x${field('CapBnd')}`),
    noNewPrivs: field('NoNewPrivs') === '1',
  };
}

export interface RunningHelper {
  child: ChildProcess;
  pid: number;
  socket: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The unit's confinement as setpriv arguments: its CapabilityBoundingSet becomes the bounding
 * set, AmbientCapabilities the inheritable and ambient sets, NoNewPrivileges --no-new-privs.
 */
export function unitConfinement(unitText: string): string[] {
  const value = (key: string) =>
    new RegExp(`^${key}=(.*)$`, 'm').exec(unitText)?.[1]?.trim() ?? null;
  const caps = (key: string) =>
    (value(key) ?? '')
      .split(/\s+/)
      .filter((c) => c !== '')
      .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
      .join(',');
  const bounding = caps('CapabilityBoundingSet');
  const ambient = caps('AmbientCapabilities');
  if (!bounding) throw new Error('the unit sets no CapabilityBoundingSet');
  return [
    'setpriv',
    `--bounding-set=-all,${bounding}`,
    `--inh-caps=-all${ambient ? `,${ambient}` : ''}`,
    `--ambient-caps=-all${ambient ? `,${ambient}` : ''}`,
    ...(value('NoNewPrivileges') === 'yes' ? ['--no-new-privs'] : []),
  ];
}

/** Unpacks Debian 12's nodejs 18 once (parallel test files race: the first rename wins). */
export function debianNode(): { root: string; version: string } {
  const root = join(DEBIAN_NODE_DIR, 'root');
  if (!existsSync(join(root, 'usr/bin/node'))) {
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    const scratch = mkdtempSync(join(ROOT, 'test-artifacts', 'debian-node-'));
    execFileSync('bash', [join(ROOT, 'build/linux/fetch-debian-node.sh'), scratch], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
    try {
      renameSync(scratch, DEBIAN_NODE_DIR);
    } catch {
      rmSync(scratch, { recursive: true, force: true }); // another test file was first
    }
  }
  return { root, version: readFileSync(join(DEBIAN_NODE_DIR, 'version'), 'utf8').trim() };
}

/**
 * Starts the helper in the lab's client namespace as the .deb installs it: the bundled script
 * run by Debian 12's nodejs 18, as root confined by the unit's capability settings (CAP_NET_ADMIN
 * alone, no new privileges). Its socket is in a root-owned folder of its own (0755, as systemd's
 * RuntimeDirectory). Debian's node reads built-in modules from /usr/share/nodejs: that folder is
 * overlaid in a mount namespace of the helper's own, never on the host.
 */
export async function startHelper(lab: Lab, dir: string): Promise<RunningHelper> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const socket = join(dir, 'helper.sock');
  const node = debianNode().root;
  const child = lab.spawn(
    lab.client,
    [
      'unshare',
      '--mount',
      'sh',
      '-c',
      `mount -t overlay passerelle-node -o lowerdir=${node}/usr/share:/usr/share /usr/share && exec "$@"`,
      'sh',
      ...unitConfinement(readFileSync(HELPER_UNIT, 'utf8')),
      join(node, 'usr/bin/node'),
      HELPER_BUNDLE,
      '--socket',
      socket,
    ],
    { env: { ...process.env, LD_LIBRARY_PATH: join(node, 'usr/lib/x86_64-linux-gnu') } },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    () => `the helper to listen (output: ${output})`,
    () => output.includes('listening on') || child.exitCode !== null,
    15_000,
  );
  if (child.exitCode !== null) throw new Error(`the helper exited: ${output}`);
  return {
    child,
    pid: child.pid as number,
    socket,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A client of the helper's socket run as `user` (fixtures/helper-probe.mjs): each line sent is
 * written to the helper as it is (or is a probe command starting with "#"); each line the
 * helper answers comes back from next().
 */
export interface HelperProbe {
  send(line: string): void;
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a request and waits for its answer. */
  ask(request: object | string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export function startProbe(lab: Lab, user: LocalUser, socket: string): HelperProbe {
  const child = lab.spawn(lab.client, [...user.prefix, 'node', HELPER_PROBE, socket]);
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const probe: HelperProbe = {
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
    next(timeoutMs = 10_000) {
      const ready = lines.shift();
      const line =
        ready !== undefined
          ? Promise.resolve(ready)
          : new Promise<string>((resolve, reject) => {
              const timer = setTimeout(
                () =>
                  reject(new Error(`no answer from the probe within ${timeoutMs} ms: ${stderr}`)),
                timeoutMs,
              );
              waiters.push((l) => {
                clearTimeout(timer);
                resolve(l);
              });
            });
      return line.then((l) => JSON.parse(l) as Record<string, unknown>);
    },
    ask(request) {
      probe.send(typeof request === 'string' ? request : JSON.stringify(request));
      return probe.next();
    },
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
  return probe;
}
