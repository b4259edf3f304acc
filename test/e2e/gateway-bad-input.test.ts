// Bad input against the gateway in the netns lab, from the client namespace: malformed API
// requests, bad CONNECT authorities, unknown and expired tokens, malformed capsules and
// packets, a login flood and more streams than the cap. After each, the gateway still serves
// a normal login and CONNECT.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, exampleConfig, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { runProbe } from '../lab/probe.js';
import { LAB } from '../lab/lab.js';

const CAP = 50;
const LIMITS = `limits: { streamsPerSession: ${CAP} }\n`;
const alice = { username: 'alice', password: USERS.alice.password };

describe('gateway bad input', () => {
  let g: GatewayLab;

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'gb', extraConfig: LIMITS });
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  const probe = (scenario: string, args: object, timeoutMs?: number) =>
    runProbe(g, scenario, args, timeoutMs);

  async function loginToken(user: keyof typeof USERS = 'alice'): Promise<string> {
    const r = await probe('login', { body: { username: user, password: USERS[user].password } });
    expect(r.status).toBe(201);
    return (r.body as { token: string }).token;
  }

  /** A fresh login and a CONNECT that carries an HTTP exchange: the gateway still serves. */
  async function expectStillServes(): Promise<void> {
    const r = await probe('tcp', {
      ...alice,
      target: `${LAB.web}:80`,
      payload: 'GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*198\.18\.0\.1\n$/);
    expect(g.gateway.exitCode).toBeNull();
  }

  function curl(args: string[]) {
    return g.lab.exec(g.lab.client, [
      'curl',
      '-sS',
      '--max-time',
      '10',
      '--cacert',
      g.pki.caCert,
      ...args,
    ]);
  }

  it('answers malformed API requests over HTTP/2 with 400, 413, 415, 404 and 405', async () => {
    const badJson = await probe('login', { rawBody: '{"username": "alice", "password": ' });
    expect(badJson).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    const badShape = await probe('login', { body: { username: 'alice', password: 42 } });
    expect(badShape).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    const notJson = await probe('login', { contentType: 'text/plain', body: alice });
    expect(notJson).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    const huge = await probe('login', {
      rawBody: JSON.stringify({ ...alice, pad: 'x'.repeat(64 * 1024) }),
    });
    expect(huge).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    const unknown = await probe('api', { path: '/api/v1/nope' });
    expect(unknown.status).toBe(404);
    const unknownRoot = await probe('api', { path: '/../../etc/passwd' });
    expect(unknownRoot.status).toBe(404);
    const wrongMethod = await probe('api', { method: 'GET', path: '/api/v1/sessions' });
    expect(wrongMethod.status).toBe(405);
    const token = await loginToken();
    const wrongMethodConfig = await probe('api', {
      method: 'POST',
      path: '/api/v1/config',
      token,
      body: '{}',
    });
    expect(wrongMethodConfig.status).toBe(405);
    const wrongMethodLogout = await probe('api', {
      method: 'GET',
      path: '/api/v1/sessions/current',
      token,
    });
    expect(wrongMethodLogout.status).toBe(405);
    await expectStillServes();
  });

  it('answers malformed API requests over HTTP/1.1 the same way', async () => {
    const url = `${g.url}/api/v1/sessions`;
    const status = async (args: string[]) =>
      (await curl(['--http1.1', '-o', '/dev/null', '-w', '%{http_code}', ...args])).stdout;
    expect(
      await status(['-H', 'content-type: application/json', '--data-binary', '{nope', url]),
    ).toBe('400');
    expect(
      await status(['-H', 'content-type: text/plain', '--data-binary', JSON.stringify(alice), url]),
    ).toBe('415');
    const big = join(g.dir, 'big.json');
    writeFileSync(big, JSON.stringify({ ...alice, pad: 'x'.repeat(200 * 1024) }));
    expect(
      await status(['-H', 'content-type: application/json', '--data-binary', `@${big}`, url]),
    ).toBe('413');
    expect(await status([`${g.url}/nope`])).toBe('404');
    expect(await status([url])).toBe('405');
    // Garbage instead of an HTTP request on the TLS port.
    const garbage = await g.lab.exec(g.lab.client, [
      'sh',
      '-c',
      `printf 'HELLO\\001\\002 garbage\\r\\n\\r\\n' | timeout 5 openssl s_client -quiet -alpn http/1.1 -CAfile ${g.pki.caCert} -connect ${LAB.gatewayPublic}:443 2>/dev/null`,
    ]);
    expect(garbage.stdout).toMatch(/^HTTP\/1\.1 400/);
    await expectStillServes();
  });

  it('refuses CONNECT with a bad authority with 400, and the connection keeps working', async () => {
    const targets = [
      '198.18.0.10',
      '198.18.0.10:0',
      '198.18.0.10:65536',
      '198.18.0.10:80:80',
      ':80',
      'bad_host!:80',
      `${LAB.web}:80`,
    ];
    const r = await probe('tcpTargets', { ...alice, targets });
    const results = r.results as { target: string; status: number; proxyStatus?: string }[];
    for (const result of results.slice(0, -1)) {
      expect(result.status, result.target).toBe(400);
      expect(result.proxyStatus, result.target).toMatch(/^passerelle; error=http_request_error/);
    }
    expect(results.at(-1)?.status).toBe(200);
    await expectStillServes();
  });

  it('refuses unknown, forged and logged-out tokens with 401 (API) and 407 (CONNECT)', async () => {
    const forged = 'A'.repeat(43);
    const config = await probe('api', { path: '/api/v1/config', token: forged });
    expect(config.status).toBe(401);
    const none = await probe('api', { path: '/api/v1/config' });
    expect(none.status).toBe(401);
    const connect = await probe('tcpTargets', { token: forged, targets: [`${LAB.web}:80`] });
    expect((connect.results as { status: number }[])[0]?.status).toBe(407);
    const noToken = await probe('tcpTargets', { token: '', targets: [`${LAB.web}:80`] });
    expect((noToken.results as { status: number }[])[0]?.status).toBe(407);
    // Over HTTP/1.1, as a proxy client.
    const viaCurl = await curl([
      '-v',
      '--proxy',
      g.url,
      '--proxy-cacert',
      g.pki.caCert,
      '--proxytunnel',
      '--proxy-header',
      `Proxy-Authorization: Bearer ${forged}`,
      `http://${LAB.web}/`,
    ]);
    expect(viaCurl.stderr).toMatch(/< HTTP\/1\.1 407/);
    expect(viaCurl.stderr).toMatch(/proxy-authenticate: Bearer/i);

    const token = await loginToken();
    expect((await probe('api', { path: '/api/v1/config', token })).status).toBe(200);
    expect(
      (await probe('api', { method: 'DELETE', path: '/api/v1/sessions/current', token })).status,
    ).toBe(204);
    expect((await probe('api', { path: '/api/v1/config', token })).status).toBe(401);
    const after = await probe('tcpTargets', { token, targets: [`${LAB.web}:80`] });
    expect((after.results as { status: number }[])[0]?.status).toBe(407);
    await expectStillServes();
  });

  it('resets a stream that sends an oversized capsule, and the connection keeps working', async () => {
    const udp = await probe('badCapsule', {
      ...alice,
      host: LAB.web,
      port: 7,
      tcpTarget: `${LAB.web}:80`,
    });
    expect(udp.status).toBe(200);
    expect(udp.rstCode).toBeGreaterThan(0);
    expect(udp.afterStatus).toBe(200);
    const login = await probe('login', { body: alice });
    const source = (login.body as { config: { intranetIp: string } }).config.intranetIp;
    const ip = await probe('badCapsuleIp', { ...alice, source, destination: LAB.web });
    expect(ip.status).toBe(200);
    expect(ip.rstCode).toBeGreaterThan(0);
    expect((ip.after as { packets: { type: number }[] }).packets.some((p) => p.type === 0)).toBe(
      true,
    );
    await expectStillServes();
  });

  it('skips unknown capsules and foreign contexts, and the same UDP stream keeps working', async () => {
    const r = await probe('udpJunk', { ...alice, host: LAB.web, port: 7 });
    expect(r).toMatchObject({ status: 200, replies: ['still here'], open: true });
    await expectStillServes();
  });

  it('drops malformed packets on connect-ip, and the same stream still echoes', async () => {
    const login = await probe('login', { body: alice });
    const source = (login.body as { config: { intranetIp: string } }).config.intranetIp;
    const existing = await probe('badPacket', { ...alice, source, destination: LAB.web });
    expect(existing.status).toBe(200);
    expect((existing.after as { packets: { type: number; source: string }[] }).packets).toEqual([
      expect.objectContaining({ type: 0, source: LAB.web }),
    ]);
    const r = await probe('badPacketStream', { ...alice, source, destination: LAB.web });
    expect(r.status).toBe(200);
    expect(r.open).toBe(true);
    // Only the valid echo request (sequence 4) is answered.
    expect(r.replies).toEqual([{ source: LAB.web, type: 0, sequence: 4 }]);
    await expectStillServes();
  });

  it(`refuses streams past the cap of ${CAP} per session with 429, and serves again once they close`, async () => {
    const r = await probe(
      'overCap',
      { ...alice, target: `${LAB.web}:80`, count: CAP + 30 },
      60_000,
    );
    expect(r.counts).toEqual({ 200: CAP, 429: 30 });
    expect(r.refusedProxyStatus).toMatch(
      new RegExp(`error=proxy_internal_error; details="at most ${CAP} flows per session"`),
    );
    expect(r.afterStatus).toBe(200);
    expect(r.afterBody).toMatch(/^HTTP\/1\.1 200 OK/);
    await expectStillServes();
  }, 90_000);

  it('counts what it dropped in the metrics', async () => {
    const metric = await g.metrics();
    expect(metric('passerelle_malformed_total{kind="json"}')).toBeGreaterThanOrEqual(3);
    expect(metric('passerelle_malformed_total{kind="body-too-large"}')).toBeGreaterThanOrEqual(2);
    expect(metric('passerelle_malformed_total{kind="authority"}')).toBeGreaterThanOrEqual(5);
    expect(metric('passerelle_malformed_total{kind="capsule"}')).toBeGreaterThanOrEqual(2);
    // 30 from the burst, plus any retry of the probe's final CONNECT while the closes land.
    expect(
      metric('passerelle_streams_refused_total{limit="streams-per-session"}'),
    ).toBeGreaterThanOrEqual(30);
  });

  it('answers a flood of logins with 429 and Retry-After, locks the name out, then serves again', async () => {
    // carol: five wrong passwords lock her name; then even her right password is refused.
    const wrong = Array.from({ length: 8 }, () => ({
      username: 'carol',
      password: 'not-her-password',
    }));
    const locked = await probe('loginFlood', {
      attempts: [...wrong, { username: 'carol', password: USERS.carol.password }],
    });
    const results = locked.results as { status: number; retryAfter?: string }[];
    expect(results.slice(0, 5).map((x) => x.status)).toEqual([401, 401, 401, 401, 401]);
    for (const x of results.slice(5)) {
      expect(x.status).toBe(429);
      expect(Number(x.retryAfter)).toBeGreaterThanOrEqual(30);
    }
    // A flood of names from one address runs out the address's budget.
    const flood = await probe(
      'loginFlood',
      {
        attempts: Array.from({ length: 40 }, (_, i) => ({ username: `flood${i}`, password: 'x' })),
      },
      60_000,
    );
    const floodResults = flood.results as { status: number; retryAfter?: string }[];
    const limited = floodResults.filter((x) => x.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(floodResults.every((x) => x.status === 401 || x.status === 429)).toBe(true);
    for (const x of limited) expect(Number(x.retryAfter)).toBeGreaterThanOrEqual(1);
    // Once the address's budget refills, a normal login and CONNECT work.
    const wait = Math.max(...limited.map((x) => Number(x.retryAfter)));
    await new Promise((r) => setTimeout(r, wait * 1000 + 500));
    await expectStillServes();
    // carol is still locked out from this address, on any connection.
    const still = await probe('login', {
      body: { username: 'carol', password: USERS.carol.password },
    });
    expect(still.status).toBe(429);
  }, 90_000);

  it('refuses an expired token with 401 and 407, and serves a new login', async () => {
    writeFileSync(g.configPath, exampleConfig(`${LIMITS}sessions: { lifetimeSeconds: 2 }\n`));
    await g.restartGateway();
    const token = await loginToken();
    const live = await probe('tcpTargets', { token, targets: [`${LAB.web}:80`] });
    expect((live.results as { status: number }[])[0]?.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await probe('api', { path: '/api/v1/config', token })).status).toBe(401);
    const expired = await probe('tcpTargets', { token, targets: [`${LAB.web}:80`] });
    expect((expired.results as { status: number }[])[0]?.status).toBe(407);
    await expectStillServes();
  });
});
