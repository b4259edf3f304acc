// The gateway in the netns lab, driven by real clients from the client namespace: curl as an
// HTTPS-proxy client and a standard Node HTTP/2 client (test/lab/fixtures/h2-probe.mjs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants } from 'node:http2';
import { runProbe } from '../lab/probe.js';
import { createGatewayLab, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { LAB } from '../lab/lab.js';

describe('gateway in the lab', () => {
  let g: GatewayLab;

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'gw' });
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  const probe = (scenario: string, args: object, timeoutMs?: number) =>
    runProbe(g, scenario, args, timeoutMs);

  async function loginToken(user: keyof typeof USERS): Promise<string> {
    const r = await probe('login', { body: { username: user, password: USERS[user].password } });
    expect(r.status).toBe(201);
    return (r.body as { token: string }).token;
  }

  function curl(args: string[]) {
    return g.lab.exec(g.lab.client, [
      'curl',
      '-sS',
      '--max-time',
      '10',
      '--proxy-cacert',
      g.pki.caCert,
      '--proxytunnel',
      ...args,
    ]);
  }

  it('logs in and returns the session configuration', async () => {
    const r = await probe('login', { body: { username: 'alice', password: USERS.alice.password } });
    expect(r.status).toBe(201);
    const body = r.body as { token: string; expiresAt: string; config: Record<string, unknown> };
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(body.config).toMatchObject({
      routes: ['198.18.0.0/23'],
      splitTunnel: true,
      intranetIp: expect.stringMatching(/^100\.64\.0\.\d+$/),
      dns: { servers: [LAB.dns], domains: ['corp.test'] },
    });
    const names = (body.config.resources as { name: string }[]).map((x) => x.name).sort();
    expect(names).toEqual(['dns', 'echo', 'ping', 'web']);
  });

  it('says the same for a wrong user and a wrong password', async () => {
    const wrongPassword = await probe('login', {
      body: { username: 'carol', password: 'nope-nope' },
    });
    const wrongUser = await probe('login', {
      body: { username: 'mallory', password: 'nope-nope' },
    });
    expect(wrongPassword.status).toBe(401);
    expect(wrongUser).toEqual(wrongPassword);
  });

  it('lets curl reach an allowed server through the gateway as an HTTPS proxy', async () => {
    const token = await loginToken('alice');
    const r = await curl([
      '--proxy',
      g.url,
      '--proxy-header',
      `Proxy-Authorization: Bearer ${token}`,
      `http://${LAB.web}/whoami`,
    ]);
    expect(r.stderr).toBe('');
    // The server sees the gateway's private address, never the client's.
    expect(r.stdout).toBe(`${LAB.gatewayPrivate}\n`);
  });

  it('refuses a denied destination with 403 and proxy-status', async () => {
    const token = await loginToken('alice');
    const r = await curl([
      '-v',
      '--proxy',
      g.url,
      '--proxy-header',
      `Proxy-Authorization: Bearer ${token}`,
      `http://${LAB.denied}/`,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/< HTTP\/1\.1 403/);
    expect(r.stderr).toMatch(/proxy-status: passerelle; error=destination_ip_prohibited/i);
  });

  it('answers 407 to a CONNECT without a valid token', async () => {
    const r = await curl([
      '-v',
      '--proxy',
      g.url,
      '--proxy-header',
      'Proxy-Authorization: Bearer forged',
      `http://${LAB.web}/`,
    ]);
    expect(r.stderr).toMatch(/< HTTP\/1\.1 407/);
  });

  it('tunnels TCP over an HTTP/2 CONNECT stream', async () => {
    const r = await probe('tcp', {
      username: 'alice',
      password: USERS.alice.password,
      target: `${LAB.web}:80`,
      payload: 'GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*198\.18\.0\.1\n$/);
  });

  it("passes a target's reset on to an HTTP/1.1 CONNECT client as a reset", async () => {
    // A close would let curl take the cut-short HTTP/1.0 body for the whole one (exit 0).
    const token = await loginToken('alice');
    const r = await curl([
      '--proxy',
      g.url,
      '--proxy-header',
      `Proxy-Authorization: Bearer ${token}`,
      `http://${LAB.web}/truncate`,
    ]);
    expect(r.stdout).toBe('partial body\n');
    expect(r.code).toBe(56);
  });

  it("passes a target's reset on as RST_STREAM CONNECT_ERROR alone, an orderly close as END_STREAM", async () => {
    // No END_STREAM before the reset: a client would take it for the target's FIN, and a
    // body cut short by the reset (HTTP/1.0, no length) for a complete one.
    const reset = await probe('tcp', {
      username: 'alice',
      password: USERS.alice.password,
      target: `${LAB.web}:80`,
      payload: 'GET /truncate HTTP/1.0\r\n\r\n',
      keepOpen: true,
    });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatch(/partial body\n$/);
    expect(reset.rstCode).toBe(constants.NGHTTP2_CONNECT_ERROR);
    expect(reset.sawEnd).toBe(false);
    const orderly = await probe('tcp', {
      username: 'alice',
      password: USERS.alice.password,
      target: `${LAB.web}:80`,
      payload: 'GET /whoami HTTP/1.0\r\n\r\n',
    });
    expect(orderly.sawEnd).toBe(true);
    expect(orderly.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
  });

  it('applies policy order: bob is staff but denied web; a closed port is 502', async () => {
    const bob = await probe('tcp', {
      username: 'bob',
      password: USERS.bob.password,
      target: `${LAB.web}:80`,
    });
    expect(bob.status).toBe(403);
    const refused = await probe('tcp', {
      username: 'alice',
      password: USERS.alice.password,
      target: `${LAB.web}:8001`,
    });
    expect(refused.status).toBe(502);
    expect(refused.proxyStatus).toMatch(/error=connection_refused/);
    const otherPort = await probe('tcp', {
      username: 'alice',
      password: USERS.alice.password,
      target: `${LAB.web}:22`,
    });
    expect(otherPort.status).toBe(403);
  });

  it('resolves a name with dnsmasq over connect-udp', async () => {
    const r = await probe('udpDns', {
      username: 'alice',
      password: USERS.alice.password,
      server: LAB.dns,
      name: 'app.corp.test',
    });
    expect(r).toMatchObject({ status: 200, answer: LAB.web });
  });

  it('carries several UDP datagrams each way and refuses a denied UDP target', async () => {
    const ok = await probe('udpEcho', {
      username: 'alice',
      password: USERS.alice.password,
      host: LAB.web,
      port: 7,
      payloads: ['one', 'two', 'three'],
    });
    expect(ok.status).toBe(200);
    expect((ok.replies as string[]).sort()).toEqual(['one', 'three', 'two']);
    const denied = await probe('udpEcho', {
      username: 'alice',
      password: USERS.alice.password,
      host: LAB.denied,
      port: 7,
      payloads: ['x'],
    });
    expect(denied.status).toBe(403);
  });

  it('returns the intranet host kernel echo reply over connect-ip, and prohibited for a denied host', async () => {
    const login = await probe('login', {
      body: { username: 'alice', password: USERS.alice.password },
    });
    const source = (login.body as { config: { intranetIp: string } }).config.intranetIp;
    const r = await probe('icmp', {
      username: 'alice',
      password: USERS.alice.password,
      source,
      destinations: [LAB.web, LAB.denied],
    });
    expect(r.status).toBe(200);
    expect(r.capsuleTypes).toContain(1); // ADDRESS_ASSIGN
    const packets = r.packets as {
      source: string;
      destination: string;
      type: number;
      code: number;
      identifier: number;
      sequence: number;
      payload: string;
    }[];
    const reply = packets.find((p) => p.type === 0);
    expect(reply).toMatchObject({
      source: LAB.web,
      destination: source,
      identifier: 0x4242,
      sequence: 1,
      payload: 'probe-1',
    });
    const prohibited = packets.find((p) => p.type === 3);
    expect(prohibited).toMatchObject({ source: LAB.denied, code: 13 });
  });

  it('carries 1,000 concurrent TCP flows in one session', async () => {
    const r = await probe(
      'tcpMany',
      {
        username: 'alice',
        password: USERS.alice.password,
        target: `${LAB.web}:80`,
        count: 1000,
        expect: LAB.gatewayPrivate,
      },
      60_000,
    );
    expect(r).toMatchObject({ ok: 1000, total: 1000 });
  }, 90_000);

  it('writes audit lines for logins and flows, and metrics that match', async () => {
    const lines = g.auditEvents();
    expect(
      lines.some((l) => l.event === 'login' && l.user === 'carol' && l.result === 'failure'),
    ).toBe(true);
    const curlFlow = lines.find(
      (l) =>
        l.event === 'flow' &&
        l.protocol === 'tcp' &&
        l.destination === LAB.web &&
        l.verdict === 'allow',
    );
    expect(curlFlow).toMatchObject({
      user: 'alice',
      sourceIp: LAB.clientPublic,
      port: 80,
      intranetIp: expect.stringMatching(/^100\.64\./),
    });
    expect(curlFlow?.bytesDown).toBeGreaterThan(0);
    expect(
      lines.some((l) => l.event === 'flow' && l.verdict === 'deny' && l.destination === LAB.denied),
    ).toBe(true);
    // The 1,000 flows of the test before end one by one after curl has its answers, and each is
    // counted and audited when it ends: compare once they are all over.
    await expect
      .poll(
        async () => {
          const allowedTcp = g
            .auditEvents()
            .filter(
              (l) => l.event === 'flow' && l.protocol === 'tcp' && l.verdict === 'allow',
            ).length;
          const counted = (await g.metrics())(
            'passerelle_flows_total{protocol="tcp",verdict="allow"}',
          );
          return counted - allowedTcp;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(0);

    const metric = await g.metrics();
    expect(
      metric('passerelle_login_failures_total{reason="invalid-credentials"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(metric('passerelle_flows_total{protocol="icmp",verdict="deny"}')).toBeGreaterThanOrEqual(
      1,
    );
  });
});
