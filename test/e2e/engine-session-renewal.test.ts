// A session that ends while the tunnel is up (the gateway's session lifetime, or the oldest
// session replaced past the per-user cap): the next flow gets 407, the engine logs in again
// with the saved password on the same connection, and that flow goes through. A user with
// one-time codes is told a new code is needed instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/gateway/auth/totp.js';
import { createGatewayLab, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient } from '../lab/client-runner.js';
import { LAB } from '../lab/lab.js';

describe('engine renews an ended session', () => {
  let g: GatewayLab;
  const curl = () =>
    g.lab.exec(g.lab.client, ['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
  const logins = () =>
    g
      .auditEvents()
      .filter((l) => l.event === 'login' && l.result === 'success' && l.user === 'alice').length;

  beforeAll(async () => {
    g = await createGatewayLab({
      tag: 'sr',
      extraConfig: 'sessions: { lifetimeSeconds: 3 }\n',
    });
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  it('logs in again when a flow is refused for an ended session, and the flow goes through', async () => {
    const client = startClient(g);
    try {
      await client.waitForState('connected');
      expect((await curl()).stdout).toBe(`${LAB.gatewayPrivate}\n`);
      const before = logins();
      await new Promise((resolve) => setTimeout(resolve, 3500)); // the session expires
      // The first connection after expiry: held while the engine logs in again, then served.
      const r = await curl();
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${LAB.gatewayPrivate}\n`);
      expect(logins()).toBe(before + 1);
      expect(client.states().at(-1)?.kind).toBe('connected');
      // DNS (connect-udp) after the next expiry: renewed as well, for the resolver's retry.
      await new Promise((resolve) => setTimeout(resolve, 3500));
      const dig = await g.lab.exec(g.lab.client, [
        'dig',
        '+short',
        '+time=2',
        '+tries=3',
        `@${LAB.dns}`,
        'app.corp.test',
      ]);
      // The first try times out (its flow was refused with the session), a retry is answered.
      expect(dig.stdout.trim().split('\n').at(-1)).toBe(LAB.web);
    } finally {
      client.child.kill('SIGTERM');
      await client.exited;
    }
  }, 60_000);

  it('a user with one-time codes is asked for a new code instead', async () => {
    const code = totp(USERS.dave.totp, Date.now());
    const client = startClient(g, { user: 'dave', extraArgs: ['--otp', code] });
    await client.waitForState('connected');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await curl(); // refused: the session ended and cannot be renewed without a code
    expect(await client.exited).toBe(3);
    expect(client.states().at(-1)).toMatchObject({ kind: 'error', reason: 'otp-required' });
  }, 60_000);
});
