// The engine's host network configuration against real iproute2, inside the lab's client
// namespace (its /etc/resolv.conf is the lab's own bind-mounted file, never the host's). The
// code runs in a child process started with `ip netns exec`, from the built dist/ (build first:
// `npx tsc -p tsconfig.build.json`).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, LAB, waitFor, type Lab } from '../lab/lab.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/netconfig-fixture.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/main/engine/netconfig/index.js', import.meta.url));
const TUN = 'pnc0';
// No trailing newline, comments, options: the restore must give these bytes back exactly.
const ORIGINAL_RESOLV =
  '# lab resolver (original)\nnameserver 127.0.0.53\nsearch home.example\noptions edns0 trust-ad';

interface Event {
  event: string;
  [key: string]: unknown;
}

interface Snapshot {
  addr: unknown;
  route: unknown;
  resolv: string;
}

interface RouteJson {
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  table?: string;
}

describe('netconfig: addresses, routes and DNS in a network namespace', () => {
  let lab: Lab;
  let stateDir: string;

  const sh = async (argv: string[], input?: string): Promise<string> => {
    const r = await lab.exec(lab.client, argv, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const json = async <T>(argv: string[]): Promise<T> => JSON.parse(await sh(argv)) as T;
  // Links with their addresses, minus the qdisc: the kernel attaches a default qdisc the first
  // time a link goes up and keeps it afterwards; that is not configuration of ours to revert.
  const snapshot = async (): Promise<Snapshot> => ({
    addr: (await json<Record<string, unknown>[]>(['ip', '-j', 'addr'])).map(
      ({ qdisc: _qdisc, ...link }) => link,
    ),
    route: await json(['ip', '-j', 'route', 'show', 'table', 'all']),
    resolv: await sh(['cat', '/etc/resolv.conf']),
  });
  const routesOn = async (dev: string): Promise<string[]> =>
    (await json<RouteJson[]>(['ip', '-j', 'route', 'show', 'dev', dev]))
      .filter((r) => r.protocol !== 'kernel')
      .map((r) => r.dst)
      .sort();
  const mainTableWithout = async (dev: string): Promise<RouteJson[]> =>
    (await json<RouteJson[]>(['ip', '-j', 'route', 'show', 'table', 'main'])).filter(
      (r) => r.dev !== dev,
    );
  const routeGet = async (dst: string): Promise<RouteJson> =>
    (await json<RouteJson[]>(['ip', '-j', 'route', 'get', dst]))[0] as RouteJson;
  const stateFiles = (): string[] => readdirSync(stateDir);

  /** Starts the fixture in the client namespace and reads its JSON lines. */
  function start(args: string[]): { child: ChildProcess; next: (name: string) => Promise<Event> } {
    const child = lab.spawn(lab.client, [process.execPath, FIXTURE, ...args]);
    const events: Event[] = [];
    let buffer = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)) as Event);
        buffer = buffer.slice(nl + 1);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const next = async (name: string): Promise<Event> => {
      let found: Event | undefined;
      await waitFor(
        `fixture event ${name}`,
        () => {
          const i = events.findIndex((e) => e.event === name || e.event === 'error');
          if (i < 0) {
            if (child.exitCode !== null) throw new Error(`fixture exited: ${stderr}`);
            return false;
          }
          found = events.splice(i, 1)[0];
          return true;
        },
        20_000,
      );
      if (found?.event !== name) throw new Error(`fixture error: ${String(found?.message)}`);
      return found;
    };
    return { child, next };
  }

  async function runOnce(args: string[]): Promise<Event> {
    const r = await lab.exec(lab.client, [process.execPath, FIXTURE, ...args]);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (line === '') throw new Error(`fixture printed nothing (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(line) as Event;
  }

  const plan = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      tunName: TUN,
      address: '100.64.0.2',
      prefixLength: 24,
      spareAddress: '100.64.0.3',
      mtu: 9000,
      routes: ['198.18.0.0/24', '10.20.0.0/16'],
      splitTunnel: true,
      gatewayIp: LAB.gatewayPublic,
      dns: { servers: [LAB.dns], domains: [LAB.domain] },
      ...over,
    });

  beforeAll(async () => {
    if (!existsSync(BUILT)) {
      throw new Error(`${BUILT} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
    }
    lab = await createLab({ tag: 'nc' });
    // The user's machine has a default route (inside the lab namespace only).
    await sh(['ip', 'route', 'add', 'default', 'via', LAB.gatewayPublic]);
    stateDir = mkdtempSync(join(tmpdir(), 'passerelle-nc-'));
    // IPv6 link-local addresses and routes appear once DAD is over: wait, so snapshots are stable.
    await waitFor('IPv6 DAD in the client namespace', async () => {
      const links = await json<{ addr_info?: { family: string; tentative?: boolean }[] }[]>([
        'ip',
        '-j',
        'addr',
      ]);
      const v6 = links.flatMap((l) => l.addr_info ?? []).filter((a) => a.family === 'inet6');
      return v6.length >= 2 && v6.every((a) => !a.tentative);
    });
  });

  afterAll(async () => {
    await lab?.down();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // A fresh, persistent TUN (the real one comes from the native addon) and the original DNS.
    await lab.exec(lab.client, ['ip', 'link', 'del', 'dev', TUN]);
    await sh(['ip', 'tuntap', 'add', 'dev', TUN, 'mode', 'tun']);
    await sh(['tee', '/etc/resolv.conf'], ORIGINAL_RESOLV);
    for (const f of stateFiles()) rmSync(join(stateDir, f), { force: true });
  });

  it('split tunnel: address, spare route, MTU, only the listed routes, resolv.conf; undo restores all', async () => {
    const before = await snapshot();
    const mainBefore = await mainTableWithout(TUN);
    expect(before.resolv).toBe(ORIGINAL_RESOLV);
    const f = start(['apply', stateDir, plan()]);
    const applied = await f.next('applied');
    expect(applied.dnsMode).toBe('resolvconf'); // no systemd-resolved serves a lab namespace
    expect(applied.hostRoute).toBeNull();

    const [link] = await json<
      { mtu: number; flags: string[]; addr_info: { local: string; prefixlen: number }[] }[]
    >(['ip', '-j', 'addr', 'show', 'dev', TUN]);
    expect(link?.mtu).toBe(9000);
    expect(link?.flags).toContain('UP');
    // A is assigned; B is only routed (an assigned B would make the kernel drop the NAT's
    // packets as coming from one of its own addresses).
    expect(link?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['100.64.0.2/24']);
    expect(await routesOn(TUN)).toEqual(['10.20.0.0/16', '100.64.0.3', '198.18.0.0/24']);
    // Nothing else in the main table changed.
    expect(await mainTableWithout(TUN)).toEqual(mainBefore);
    expect((await routeGet(LAB.web)).dev).toBe(TUN);
    const outside = await routeGet(LAB.denied); // 198.18.1.10 is not in 198.18.0.0/24
    expect(outside.dev).toBe(`${lab.client.slice(0, -1)}cp`);
    expect(outside.gateway).toBe(LAB.gatewayPublic);

    expect(await sh(['cat', '/etc/resolv.conf'])).toBe(
      [
        `# passerelle-managed dev=${TUN}: written by the Passerelle VPN client; the original is restored on disconnect`,
        `nameserver ${LAB.dns}`,
        'nameserver 127.0.0.53',
        `search ${LAB.domain} home.example`,
        'options edns0 trust-ad',
        '',
      ].join('\n'),
    );
    expect(stateFiles()).toEqual([`${TUN}.json`]);

    f.child.stdin?.write('undo\n');
    await f.next('undone');
    f.child.stdin?.write('undo\n'); // idempotent
    await f.next('undone');
    const after = await snapshot();
    expect(after).toEqual(before);
    expect(after.resolv).toBe(ORIGINAL_RESOLV);
    expect(stateFiles()).toEqual([]);
    f.child.stdin?.end();
  });

  it.each([
    { name: 'on-link gateway', gatewayIp: LAB.gatewayPublic, via: undefined },
    { name: 'gateway behind a router', gatewayIp: LAB.gatewayPrivate2, via: LAB.gatewayPublic },
  ])('full tunnel ($name): host route + halves, default route untouched', async (c) => {
    const publicDev = `${lab.client.slice(0, -1)}cp`;
    const before = await snapshot();
    const f = start(['apply', stateDir, plan({ splitTunnel: false, gatewayIp: c.gatewayIp })]);
    const applied = await f.next('applied');
    expect(applied.hostRoute).toEqual({
      dst: `${c.gatewayIp}/32`,
      gateway: c.via ?? null,
      dev: publicDev,
    });
    expect(await routesOn(TUN)).toEqual([
      '0.0.0.0/1',
      '10.20.0.0/16',
      '100.64.0.3',
      '128.0.0.0/1',
      '198.18.0.0/24',
    ]);
    const host = (
      await json<RouteJson[]>(['ip', '-j', 'route', 'show', 'exact', `${c.gatewayIp}/32`])
    )[0];
    expect(host?.dev).toBe(publicDev);
    expect(host?.gateway).toBe(c.via);
    const defaults = await json<RouteJson[]>(['ip', '-j', 'route', 'show', 'exact', 'default']);
    expect(defaults).toEqual([
      { dst: 'default', gateway: LAB.gatewayPublic, dev: publicDev, flags: [] },
    ]);
    // Everything goes to the TUN except the gateway and the public link's own subnet.
    expect((await routeGet(LAB.denied)).dev).toBe(TUN);
    expect((await routeGet('198.18.200.1')).dev).toBe(TUN);
    expect((await routeGet(c.gatewayIp)).dev).toBe(publicDev);

    f.child.stdin?.write('undo\n');
    await f.next('undone');
    expect(await snapshot()).toEqual(before);
    f.child.stdin?.end();
  });

  it('a killed engine leaves state behind, and recoverStale reverts it (idempotently)', async () => {
    const before = await snapshot();
    const f = start([
      'apply',
      stateDir,
      plan({ splitTunnel: false, gatewayIp: LAB.gatewayPrivate2 }),
    ]);
    const applied = await f.next('applied');
    const pid = f.child.pid as number;
    expect(applied.pid).toBe(pid); // ip netns exec execs node: this PID is the engine itself
    process.kill(pid, 'SIGKILL');
    await waitFor(
      'the fixture to die',
      () => f.child.exitCode !== null || f.child.signalCode !== null,
    );

    expect(stateFiles()).toEqual([`${TUN}.json`]);
    expect(await sh(['cat', '/etc/resolv.conf'])).toContain('# passerelle-managed');
    expect(await routesOn(TUN)).toContain('0.0.0.0/1');

    const report = await runOnce(['recover', stateDir]);
    expect(report.errors).toEqual([]);
    expect(report.recovered).toEqual([
      { tunName: TUN, stateFile: join(stateDir, `${TUN}.json`), ownerPid: pid },
    ]);
    const after = await snapshot();
    expect(after.resolv).toBe(ORIGINAL_RESOLV);
    expect(after.route).toEqual(before.route);
    // The (persistent) TUN is gone; every other link and address is as before.
    const withoutTun = (addr: unknown): unknown =>
      (addr as { ifname: string }[]).filter((l) => l.ifname !== TUN);
    expect((after.addr as { ifname: string }[]).map((l) => l.ifname)).not.toContain(TUN);
    expect(withoutTun(after.addr)).toEqual(withoutTun(before.addr));
    expect(stateFiles()).toEqual([]);

    const again = await runOnce(['recover', stateDir]);
    expect(again).toMatchObject({ recovered: [], skipped: [], errors: [] });
  });

  it('recovery ignores what is already gone', async () => {
    const before = await snapshot();
    const f = start(['apply', stateDir, plan()]);
    await f.next('applied');
    process.kill(f.child.pid as number, 'SIGKILL');
    await waitFor(
      'the fixture to die',
      () => f.child.exitCode !== null || f.child.signalCode !== null,
    );
    // The TUN (with its routes and addresses) vanished, as a non-persistent one does.
    await sh(['ip', 'link', 'del', 'dev', TUN]);
    const report = await runOnce(['recover', stateDir]);
    expect(report.errors).toEqual([]);
    expect(report.recovered).toHaveLength(1);
    expect((await snapshot()).resolv).toBe(before.resolv);
  });

  it('errors name the failing command, and a failed apply rolls back', async () => {
    const missing = await runOnce(['apply', stateDir, plan({ tunName: 'nosuch0' })]);
    expect(missing.event).toBe('error');
    expect(missing.message).toContain('`ip -d -j link show dev nosuch0`');
    expect(missing.message).toContain('does not exist');

    // A route that already exists elsewhere is not replaced: apply fails and undoes itself.
    await sh(['ip', 'route', 'add', '10.20.0.0/16', 'via', LAB.gatewayPublic]);
    try {
      const before = await snapshot();
      const conflict = await runOnce(['apply', stateDir, plan()]);
      expect(conflict.event).toBe('error');
      expect(conflict.name).toBe('NetworkSetupError');
      expect(conflict.message).toContain(`\`ip route add 10.20.0.0/16 dev ${TUN}\``);
      expect(conflict.message).toContain('File exists');
      expect(await snapshot()).toEqual(before);
      expect(stateFiles()).toEqual([]);
    } finally {
      await sh(['ip', 'route', 'del', '10.20.0.0/16', 'via', LAB.gatewayPublic]);
    }
  });

  it('reports CAP_NET_ADMIN', async () => {
    const check = await runOnce(['privileges']);
    expect(check.ok).toBe(true);
  });
});
