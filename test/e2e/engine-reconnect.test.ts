// Surviving a bad network: the engine notices a dead gateway within seconds (HTTP/2 PING),
// keeps the TUN, routes and DNS while it reconnects, and resumes by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { LAB, waitFor } from '../lab/lab.js';

describe('engine reconnects', () => {
  let g: GatewayLab;
  let client: RunningClient;
  const curl = () =>
    g.lab.exec(g.lab.client, ['curl', '-sS', '--max-time', '5', `http://${LAB.web}/whoami`]);
  const kinds = () => client.states().map((s) => s.kind);

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'rc' });
    client = startClient(g);
    await client.waitForState('connected');
  }, 60_000);
  afterAll(async () => {
    client?.child.kill('SIGKILL');
    await g?.down();
  });

  it('detects a frozen gateway within a few seconds and resumes when it answers again', async () => {
    // The gateway is two processes, control plane and native data plane: both are frozen.
    const pids = g.gatewayPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const frozenAt = Date.now();
    try {
      await waitFor('reconnecting', () => kinds().includes('reconnecting'), 15_000);
      expect(Date.now() - frozenAt).toBeLessThan(8_000);
      // Said as a class the UI can translate, with the time of the next attempt.
      const reconnecting = client.states().find((s) => s.kind === 'reconnecting');
      expect(reconnecting).toMatchObject({ attempt: 1, cause: 'keepalive-lost' });
      expect(reconnecting?.nextAttemptAt).toEqual(expect.any(Number));
      // The routes stay while reconnecting: the intranet is still sent into the TUN.
      const route = await g.lab.exec(g.lab.client, ['ip', 'route', 'get', LAB.web]);
      expect(route.stdout).toContain('passerelle0');
      // Traffic meanwhile fails (fast, for TCP) and does not bring the engine down.
      const tcp = await g.lab.exec(g.lab.client, [
        'curl',
        '-sS',
        '--max-time',
        '5',
        `http://${LAB.web}/whoami`,
      ]);
      expect(tcp.code).not.toBe(0);
      await g.lab.exec(g.lab.client, [
        'dig',
        '+time=1',
        '+tries=1',
        `@${LAB.dns}`,
        'app.corp.test',
      ]);
      await g.lab.exec(g.lab.client, ['ping', '-c', '1', '-W', '1', LAB.web]);
      expect(client.child.exitCode).toBeNull();
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await waitFor(
      'connected again',
      () => kinds().lastIndexOf('connected') > kinds().indexOf('reconnecting'),
      30_000,
    );
    expect((await curl()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
  }, 60_000);

  it('logs in again by itself after the gateway restarted (its sessions are gone)', async () => {
    const before = kinds().length;
    await g.restartGateway();
    await waitFor(
      'reconnected after restart',
      () => kinds().slice(before).includes('reconnecting') && kinds().at(-1) === 'connected',
      30_000,
    );
    expect((await curl()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
  }, 60_000);
  it('reports a deleted tunnel device and undoes the rest, instead of staying "connected"', async () => {
    await g.lab.exec(g.lab.client, ['ip', 'link', 'del', 'passerelle0']);
    expect(await client.exited).toBe(1);
    expect(client.states().at(-1)).toMatchObject({
      kind: 'error',
      reason: 'internal',
      message: expect.stringMatching(/tunnel device passerelle0 stopped/),
    });
    // The DNS it had set is restored, the intranet no longer routed anywhere.
    const resolv = await g.lab.exec(g.lab.client, ['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).not.toContain('passerelle-managed');
    const route = await g.lab.exec(g.lab.client, ['ip', 'route', 'get', LAB.web]);
    expect(route.stdout).not.toContain('passerelle0');
  }, 30_000);
});
