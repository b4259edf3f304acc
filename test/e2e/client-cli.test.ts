// The headless client's errors: each failure says what went wrong and exits with its own code.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/gateway/auth/totp.js';
import { createGatewayLab, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { CLIENT_CLI, startClient } from '../lab/client-runner.js';
import { LAB } from '../lab/lab.js';

describe('passerelle connect errors', () => {
  let g: GatewayLab;
  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'cc' });
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  it('bad credentials: exit 3, without saying which part was wrong', async () => {
    const c = startClient(g, { password: 'wrong-password' });
    expect(await c.exited).toBe(3);
    expect(c.states().at(-1)).toMatchObject({
      kind: 'error',
      reason: 'bad-credentials',
      message: 'wrong user name, password or one-time code',
    });
  });

  it('a user with TOTP is asked for the code, and connects with it', async () => {
    const without = startClient(g, { user: 'dave' });
    expect(await without.exited).toBe(3);
    expect(without.states().at(-1)).toMatchObject({ kind: 'error', reason: 'otp-required' });
    const code = totp(USERS.dave.totp, Date.now());
    const withCode = startClient(g, { user: 'dave', extraArgs: ['--otp', code] });
    await withCode.waitForState('connected');
    withCode.child.kill('SIGTERM');
    expect(await withCode.exited).toBe(0);
    // The same code again is a replay: refused like a wrong password.
    const replay = startClient(g, { user: 'dave', extraArgs: ['--otp', code] });
    expect(await replay.exited).toBe(3);
    expect(replay.states().at(-1)).toMatchObject({ reason: 'bad-credentials' });
  });

  it('a TOTP user whose session the gateway lost stops and asks for a new code', async () => {
    // After a gateway restart the engine logs in again with the saved password; a one-time
    // code cannot be saved. Retrying without it would only pile up failed logins (and lock
    // the account out), so the engine stops and says a new code is needed. The next 30 s
    // code: the previous test used the current one, and replays are refused.
    const code = totp(USERS.dave.totp, Date.now() + 30_000);
    const c = startClient(g, { user: 'dave', extraArgs: ['--otp', code] });
    await c.waitForState('connected');
    await g.restartGateway();
    const exited = await Promise.race([
      c.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ]);
    if (exited === 'still running') c.child.kill('SIGKILL');
    expect(exited).toBe(3);
    expect(c.states().at(-1)).toMatchObject({ kind: 'error', reason: 'otp-required' });
  }, 60_000);

  it('untrusted certificate: exit 4, with the fingerprint', async () => {
    const c = startClient(g, { trust: 'none' });
    expect(await c.exited).toBe(4);
    const last = c.states().at(-1) as unknown as { reason: string; message: string };
    expect(last.reason).toBe('untrusted-certificate');
    expect(last.message).toContain(g.pki.fingerprint);
    expect((last as unknown as { fingerprint: string }).fingerprint).toBe(g.pki.fingerprint);
  });

  it('a matching pin is trusted, a wrong one is not', async () => {
    const ok = startClient(g, {
      trust: 'none',
      extraArgs: ['--pin', `sha256:${g.pki.fingerprint}`],
    });
    await ok.waitForState('connected');
    ok.child.kill('SIGTERM');
    expect(await ok.exited).toBe(0);
    const wrong = startClient(g, {
      trust: 'none',
      extraArgs: ['--pin', `sha256:${'00'.repeat(32)}`],
    });
    expect(await wrong.exited).toBe(4);
  });

  it('connects by name to the address it resolved, and checks the certificate against the name', async () => {
    // The lab's client namespace resolves through this hosts file (ip netns exec mounts it).
    writeFileSync(
      `/etc/netns/${g.lab.client}/hosts`,
      `127.0.0.1 localhost\n${LAB.gatewayPublic} gateway.corp.test gw-alias.corp.test\n`,
    );
    const byName = startClient(g, { url: 'https://gateway.corp.test' });
    await byName.waitForState('connected');
    const sockets = await g.lab.exec(g.lab.client, ['ss', '-Htn', 'state', 'established']);
    expect(sockets.stdout).toContain(`${LAB.gatewayPublic}:443`);
    byName.child.kill('SIGTERM');
    expect(await byName.exited).toBe(0);
    // Same address, a name the certificate does not carry: refused, although the address
    // itself is in the certificate. The name is what is checked.
    const alias = startClient(g, { url: 'https://gw-alias.corp.test' });
    expect(await alias.exited).toBe(4);
    expect(alias.states().at(-1)).toMatchObject({ reason: 'untrusted-certificate' });
    // Unknown name: unreachable, saying so.
    const unknown = startClient(g, { url: 'https://nowhere.corp.test' });
    expect(await unknown.exited).toBe(5);
    expect(unknown.output()).toMatch(/cannot resolve the gateway nowhere\.corp\.test/);
  }, 60_000);

  it('unreachable gateway: exit 5', async () => {
    const r = await g.lab.exec(g.lab.client, [
      'sh',
      '-c',
      `echo pw | node ${CLIENT_CLI} connect https://198.19.0.1:4443 --user alice --ca ${g.pki.caCert} --json`,
    ]);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/gateway-unreachable/);
    expect(r.stdout).toMatch(/ECONNREFUSED/);
  });

  it('missing privileges: exit 6 with a clear message', async () => {
    const r = await g.lab.exec(g.lab.client, [
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-net_admin',
      // A pin rather than --ca: the lab's files are readable by root only.
      'sh',
      '-c',
      `echo pw | node ${CLIENT_CLI} connect ${g.url} --user alice --pin sha256:${g.pki.fingerprint} --json`,
    ]);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/CAP_NET_ADMIN/);
  });

  it('usage errors: exit 2', async () => {
    const r = await g.lab.exec(g.lab.client, ['node', CLIENT_CLI, 'connect']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: passerelle connect URL --user NAME/);
  });
});
