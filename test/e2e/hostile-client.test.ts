// The client under hostile conditions (issue #8, findings 8 and 11): applications that give
// up on a slow target, and a user who presses Ctrl-C again while the client disconnects.
// These tests are the data plane's contract: they look only at what a user and the gateway
// see (curl, the CLI's --json stats and lines, the gateway's metrics, audit log and
// descriptors, the intranet's sockets, resolv.conf and routes), never at engine internals.
//
// The slow target is 198.18.0.11:80, an allowed resource whose answers the intranet can hold
// back: a policy rule in the intranet namespace sends everything from 198.18.0.11 to a
// blackhole, so its SYN-ACKs are never sent and the gateway's connect() waits; deleting the
// rule lets the gateway's next SYN retransmission (1 s, then 3 s after its first) through.
// The gateway's connect timeout is raised to 30 s and its flow cap lowered to 5, so that
// abandoned connections that stayed open would use up the cap within the test.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createGatewayLab, exampleConfig, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { LAB, waitFor } from '../lab/lab.js';

const SLOW = '198.18.0.11';
const FLOW_CAP = 5;

function hostileConfig(): string {
  return exampleConfig(
    `timeouts: { tcpConnectSeconds: 30 }\nlimits: { streamsPerSession: ${FLOW_CAP} }\n`,
  )
    .replace(
      '  - { name: secret,',
      `  - { name: slow, address: ${SLOW}/32, ports: [80], protocols: [tcp] }\n  - { name: secret,`,
    )
    .replace('allow: [web, dns, ping, echo]', 'allow: [web, dns, ping, echo, slow]');
}

describe('client under hostile conditions', () => {
  let g: GatewayLab;

  const inClient = (argv: string[], timeoutMs = 30_000) =>
    g.lab.exec(g.lab.client, argv, { timeoutMs });
  const inIntranet = (argv: string[]) => g.lab.exec(g.lab.intranet, argv);
  const allowedRequest = () =>
    inClient(['curl', '-sS', '--max-time', '5', `http://${LAB.web}/whoami`]);
  /** curl towards the slow target, giving up after `seconds` like an impatient application. */
  const abandoned = (seconds: string) =>
    inClient(['curl', '-sS', '--connect-timeout', seconds, `http://${SLOW}/`]);
  const holdBack = async (on: boolean) => {
    const r = await inIntranet(['ip', 'rule', on ? 'add' : 'del', 'from', SLOW, 'table', '100']);
    expect(r.stderr).toBe('');
  };
  /** What the gateway process holds: sockets to targets, streams, files. */
  const gatewayDescriptors = () => readdirSync(`/proc/${g.gateway.pid}/fd`).length;
  /** Connections the slow target has (established, or half-open: SYN received). */
  const targetConnections = async () => {
    const r = await inIntranet(['ss', '-Htn', 'state', 'connected', 'src', `${SLOW}:80`]);
    return r.stdout.split('\n').filter((line) => line.trim() !== '').length;
  };
  const gatewayTcpFlows = async () =>
    (await g.metrics())('passerelle_flows_active{protocol="tcp"}');

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'hc', config: hostileConfig() });
    await inIntranet(['ip', 'addr', 'add', `${SLOW}/32`, 'dev', 'lo']);
    await inIntranet(['ip', 'route', 'add', 'blackhole', 'default', 'table', '100']);
    const server = g.lab.spawn(g.lab.intranet, [
      'node',
      `${ROOT}/dist/lab/intranet-server.js`,
      SLOW,
      '80',
    ]);
    await new Promise<void>((ok) => server.stdout?.once('data', () => ok()));
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  describe('finding 8: TCP flows of applications that gave up', () => {
    let client: RunningClient;
    let baseline: number;
    beforeAll(async () => {
      client = startClient(g);
      await client.waitForState('connected');
      expect((await allowedRequest()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
      baseline = gatewayDescriptors();
    }, 30_000);
    afterAll(async () => {
      if (client && client.child.exitCode === null) {
        client.child.kill('SIGTERM');
        await client.exited;
      }
    });

    /** Waits until nothing of the abandoned connections is left, on any side. */
    async function expectNothingLeft(boundMs: number): Promise<void> {
      let last = '';
      await waitFor(
        () => `the abandoned flows to be cleaned up within ${boundMs} ms (${last})`,
        async () => {
          const stats = await client.stats();
          const state = {
            engineTcpFlows: stats.flows.tcp,
            gatewayTcpFlows: await gatewayTcpFlows(),
            targetConnections: await targetConnections(),
            gatewayDescriptors: gatewayDescriptors(),
          };
          last = `baseline ${baseline} descriptors; now ${JSON.stringify(state)}`;
          return (
            state.engineTcpFlows === 0 &&
            state.gatewayTcpFlows === 0 &&
            state.targetConnections === 0 &&
            state.gatewayDescriptors <= baseline
          );
        },
        boundMs,
      );
    }

    it('a target that never answers: each abandoned connection is given up, the flow cap stays free', async () => {
      await holdBack(true);
      try {
        // Twice the cap: were the abandoned flows kept (until the gateway's 30 s timeout),
        // the allowed request would be refused from the sixth round on.
        for (let round = 0; round < 2 * FLOW_CAP; round++) {
          const gaveUp = await abandoned('1');
          expect(gaveUp.code, gaveUp.stderr).toBe(28); // curl: "Connection timed out"
          const allowed = await allowedRequest();
          expect(allowed.stderr, `round ${round}`).toBe('');
          expect(allowed.stdout).toBe(`${LAB.gatewayPrivate}\n`);
        }
        // The documented bound: a held SYN whose application left is abandoned within 3 s,
        // and its CONNECT cancelled, so the gateway's connect attempts end too.
        await expectNothingLeft(6_000);
        // An application that waits is not mistaken for one that left: a connection to
        // the slow target goes through once the target answers (here after ~2.5 s).
        const patient = inClient(['curl', '-sS', '--connect-timeout', '15', `http://${SLOW}/`]);
        await new Promise((r) => setTimeout(r, 2_500));
        await holdBack(false);
        const answered = await patient;
        expect(answered.stderr).toBe('');
        expect(answered.stdout).toBe('hello from the intranet\n');
      } finally {
        await holdBack(false).catch(() => undefined);
      }
      expect((await allowedRequest()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
      await expectNothingLeft(6_000);
    }, 90_000);

    it('a target that answers after the application left: the flow is reaped on both sides', async () => {
      const totalBefore = (await client.stats()).flowsTotal.tcp;
      const auditBefore = g.auditEvents().length;
      for (let round = 0; round < FLOW_CAP + 1; round++) {
        await holdBack(true);
        // curl gives up at 0.3 s, before its kernel's first SYN retransmission; the hold is
        // lifted at once, so the gateway's own retransmission (1 s after its first SYN)
        // reaches the target and the gateway answers 200 for an application that is gone.
        const gaveUp = await abandoned('0.3');
        expect(gaveUp.code, gaveUp.stderr).toBe(28);
        await holdBack(false);
        await new Promise((r) => setTimeout(r, 1_200));
        const allowed = await allowedRequest();
        expect(allowed.stderr, `round ${round}`).toBe('');
        expect(allowed.stdout).toBe(`${LAB.gatewayPrivate}\n`);
      }
      expect((await client.stats()).flowsTotal.tcp - totalBefore).toBe(2 * (FLOW_CAP + 1));
      // The documented bound for a flow whose SYN-ACK the application's kernel reset: at once.
      await expectNothingLeft(3_000);
      // The gateway did reach the target for some of them (otherwise this test would only
      // repeat the one above): their audit lines say "allow", 0 bytes.
      const reached = g
        .auditEvents()
        .slice(auditBefore)
        .filter(
          (e) => e['event'] === 'flow' && e['destination'] === SLOW && e['verdict'] === 'allow',
        );
      expect(reached.length).toBeGreaterThanOrEqual(1);
      expect(reached.every((e) => e['bytesUp'] === 0)).toBe(true);
      expect((await allowedRequest()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
    }, 90_000);
  });

  describe('finding 11: Ctrl-C again while disconnecting', () => {
    /** State files a next start would use to repair what a killed client left. */
    const crashRecoveryFiles = () => {
      const dir = `/run/passerelle/net-${statSync(`/run/netns/${g.lab.client}`).ino}`;
      return existsSync(dir) ? readdirSync(dir) : [];
    };

    it('restores routes and DNS whatever signals arrive, and says so', async () => {
      const snapshot = async () => ({
        routes: (await inClient(['ip', '-4', 'route', 'show', 'table', 'all'])).stdout,
        resolv: (await inClient(['cat', '/etc/resolv.conf'])).stdout,
        links: (await inClient(['ip', '-o', 'link', 'show'])).stdout.includes('passerelle0'),
      });
      const before = await snapshot();
      expect(before.links).toBe(false);
      const client = startClient(g);
      await client.waitForState('connected');
      expect((await inClient(['cat', '/etc/resolv.conf'])).stdout).toContain(LAB.dns);
      expect((await allowedRequest()).stdout).toBe(`${LAB.gatewayPrivate}\n`);

      // A gateway that does not answer makes the logout hang, as on a network that just
      // went away: the moment a user presses Ctrl-C a second, then a third time.
      const gatewayPid = g.gateway.pid as number;
      process.kill(gatewayPid, 'SIGSTOP');
      let exit: number | string;
      try {
        // Undo takes some 50 ms here: the next two signals come while it runs.
        client.child.kill('SIGINT');
        await new Promise((r) => setTimeout(r, 15));
        client.child.kill('SIGINT');
        await new Promise((r) => setTimeout(r, 15));
        client.child.kill('SIGTERM');
        exit = await Promise.race([
          client.exited,
          new Promise<string>((r) => setTimeout(() => r('still running'), 15_000)),
        ]);
      } finally {
        process.kill(gatewayPid, 'SIGCONT');
      }
      if (exit === 'still running') client.child.kill('SIGKILL');
      expect(exit, client.output()).not.toBe('still running');
      // Nothing left: the DNS and routes of before, no device, nothing for a repair.
      expect(await snapshot()).toEqual(before);
      expect(crashRecoveryFiles()).toEqual([]);
      // The client finished its disconnect (a signal that lands while the process is exiting,
      // everything restored, may still end it with that signal: no harm done then).
      expect(client.states().map((s) => s.kind)).toContain('disconnected');
      // Signals were acknowledged, in words that say the network is being restored. (The
      // kernel merges a signal with a pending one of the same kind, and one that lands while
      // the process exits is not seen: so at least two of the three, not all three.)
      const signals = client.states().filter((s) => s.kind === 'signal');
      expect(signals[0]?.['signal']).toBe('SIGINT');
      expect(signals.length).toBeGreaterThanOrEqual(2);
      for (const s of signals) expect(String(s['message'])).toMatch(/routes and DNS/);

      // Ctrl-C twice while still connecting: the attempt is cancelled, and whatever it had
      // set up by then is undone.
      const early = startClient(g);
      await early.waitForState('connecting');
      early.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 10));
      early.child.kill('SIGINT');
      await early.exited;
      expect(early.states().map((s) => s.kind)).toContain('disconnected');
      expect(await snapshot()).toEqual(before);
      expect(crashRecoveryFiles()).toEqual([]);

      // And the next start is an ordinary one: it connects, and the intranet is reached.
      const next = startClient(g);
      await next.waitForState('connected');
      expect((await allowedRequest()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
      next.child.kill('SIGTERM');
      expect(await next.exited).toBe(0);
      expect(await snapshot()).toEqual(before);
    }, 60_000);
  });
});
