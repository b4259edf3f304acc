// The network-namespace test lab (DESIGN §7): three hosts joined by veth pairs, built for one
// test file and removed afterwards, also when the test fails. Nothing here touches the root
// namespace beyond creating and deleting the namespaces and the veth pairs that move into them.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const LAB = {
  clientPublic: '198.19.0.2',
  gatewayPublic: '198.19.0.1',
  gatewayPrivate: '198.18.0.1',
  gatewayPrivate2: '198.18.1.1',
  web: '198.18.0.10',
  dns: '198.18.0.53',
  denied: '198.18.1.10',
  pool: '100.64.0.0/24',
  domain: 'corp.test',
} as const;

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Lab {
  readonly client: string;
  readonly gateway: string;
  readonly intranet: string;
  /** Runs a program inside a namespace and waits for it; never throws on a non-zero exit. */
  exec(
    ns: string,
    argv: string[],
    opts?: { timeoutMs?: number; input?: string },
  ): Promise<ExecResult>;
  /** Starts a long-running program inside a namespace; it is killed by PID at teardown. */
  spawn(ns: string, argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Kills what was spawned and deletes the namespaces. Safe to call twice. */
  down(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

async function nsRun(ns: string, args: string[]): Promise<void> {
  await run('ip', ['netns', 'exec', ns, ...args], { timeout: 10_000 });
}

/** A short prefix unique to this process, so that labs of parallel runs never collide. */
function labPrefix(tag: string): string {
  return `pl${tag}${process.pid % 100000}`;
}

export interface LabOptions {
  /** Lets the gateway namespace route between its links (the "direct path" baseline). */
  gatewayForwards?: boolean;
  /** A short tag (a few letters) that keeps interface names under 15 characters. */
  tag?: string;
  /**
   * More addresses for the client host on the public link (198.19.0.0/24), so that a test can
   * play several sources at once, e.g. attackers next to an allowed user.
   */
  clientAddresses?: string[];
}

export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const p = labPrefix(options.tag ?? '');
  const client = `${p}c`;
  const gateway = `${p}g`;
  const intranet = `${p}i`;
  const children = new Set<ChildProcess>();
  let isDown = false;

  const down = async (): Promise<void> => {
    if (isDown) return;
    isDown = true;
    for (const child of children) {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of [client, gateway, intranet]) {
      // A client engine killed in the lab leaves its crash-recovery state, kept per network
      // namespace (/run/passerelle/net-<inode>): it goes with the namespace.
      try {
        const inode = statSync(`/run/netns/${ns}`).ino;
        rmSync(`/run/passerelle/net-${inode}`, { recursive: true, force: true });
      } catch {
        // the namespace was never created
      }
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  };

  try {
    for (const ns of [client, gateway, intranet]) await ip(['netns', 'add', ns]);
    // The client resolves through its own resolv.conf, never the host's (DESIGN §7 DNS trap).
    mkdirSync(`/etc/netns/${client}`, { recursive: true });
    writeFileSync(`/etc/netns/${client}/resolv.conf`, 'nameserver 127.0.0.53\n');
    // The gateway resolves the names in CONNECT requests with the intranet DNS, as it would in
    // a deployment; without this file it would ask the host's resolver.
    mkdirSync(`/etc/netns/${gateway}`, { recursive: true });
    writeFileSync(`/etc/netns/${gateway}/resolv.conf`, `nameserver ${LAB.dns}\n`);

    await ip([
      'link',
      'add',
      `${p}cp`,
      'netns',
      client,
      'type',
      'veth',
      'peer',
      `${p}gp`,
      'netns',
      gateway,
    ]);
    await ip([
      'link',
      'add',
      `${p}gi`,
      'netns',
      gateway,
      'type',
      'veth',
      'peer',
      `${p}ii`,
      'netns',
      intranet,
    ]);

    for (const ns of [client, gateway, intranet])
      await nsRun(ns, ['ip', 'link', 'set', 'lo', 'up']);
    await nsRun(client, ['ip', 'addr', 'add', `${LAB.clientPublic}/24`, 'dev', `${p}cp`]);
    for (const address of options.clientAddresses ?? [])
      await nsRun(client, ['ip', 'addr', 'add', `${address}/24`, 'dev', `${p}cp`]);
    await nsRun(client, ['ip', 'link', 'set', `${p}cp`, 'up']);
    await nsRun(gateway, ['ip', 'addr', 'add', `${LAB.gatewayPublic}/24`, 'dev', `${p}gp`]);
    await nsRun(gateway, ['ip', 'addr', 'add', `${LAB.gatewayPrivate}/24`, 'dev', `${p}gi`]);
    await nsRun(gateway, ['ip', 'addr', 'add', `${LAB.gatewayPrivate2}/24`, 'dev', `${p}gi`]);
    await nsRun(gateway, ['ip', 'link', 'set', `${p}gp`, 'up']);
    await nsRun(gateway, ['ip', 'link', 'set', `${p}gi`, 'up']);
    for (const addr of [`${LAB.web}/24`, `${LAB.dns}/24`, `${LAB.denied}/24`]) {
      await nsRun(intranet, ['ip', 'addr', 'add', addr, 'dev', `${p}ii`]);
    }
    await nsRun(intranet, ['ip', 'link', 'set', `${p}ii`, 'up']);
    await nsRun(intranet, ['ip', 'route', 'add', 'default', 'via', LAB.gatewayPrivate]);
    // Unprivileged ICMP "ping" sockets for everyone in the gateway namespace.
    await nsRun(gateway, ['sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647']);
    if (options.gatewayForwards) {
      await nsRun(gateway, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      await nsRun(client, ['ip', 'route', 'add', '198.18.0.0/15', 'via', LAB.gatewayPublic]);
    }
  } catch (err) {
    await down();
    throw err;
  }

  const exec: Lab['exec'] = (ns, argv, opts = {}) =>
    new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // A program that exits without reading its input makes this write fail with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code: code ?? (signal ? 128 : 1) });
      });
    });

  const spawnIn: Lab['spawn'] = (ns, argv, opts = {}) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe', ...opts });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
  };

  return { client, gateway, intranet, exec, spawn: spawnIn, down };
}

/** Resolves once `predicate` is true, polling; rejects after `timeoutMs`. */
export async function waitFor(
  what: string | (() => string),
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
