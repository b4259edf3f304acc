// The whole data plane under AddressSanitizer and UndefinedBehaviorSanitizer, in the lab: the
// ordinary flows of every kind, then a bounded random-input driver (test/lab/fixtures/
// front-fuzz.mjs: TLS done right, then HTTP/2 frames and HTTP/1.1 requests built from valid
// ones and mutated). It passes when the sanitizers said nothing, the data plane never
// restarted, and the gateway still serves. (The parsers alone are fuzzed with libFuzzer in
// test/unit/native/gateway-standalone.test.ts; this runs them where they really run.)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, ROOT, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { LAB } from '../lab/lab.js';
import { runProbe } from '../lab/probe.js';

const ASAN_DATAPLANE = join(ROOT, 'src/native/build/gateway-test/passerelle_gateway_asan');
const FUZZ = join(ROOT, 'test/lab/fixtures/front-fuzz.mjs');
const alice = { username: 'alice', password: USERS.alice.password };

describe('gateway data plane under ASan and UBSan', () => {
  let g: GatewayLab;
  let dataPlanePid: number | undefined;
  const saved = { ...process.env };

  beforeAll(async () => {
    const build = spawnSync(
      'make',
      ['-s', '-C', join(ROOT, 'src/native/gateway/test'), 'dataplane-asan'],
      { encoding: 'utf8', timeout: 15 * 60_000 },
    );
    if (build.status !== 0) throw new Error(`building the ASan data plane: ${build.stderr}`);
    process.env['PASSERELLE_DATAPLANE'] = ASAN_DATAPLANE;
    // ASan reads /proc when it reports: the system-call allow-list would stop it.
    process.env['PASSERELLE_SECCOMP'] = 'off';
    process.env['ASAN_OPTIONS'] = 'abort_on_error=1:detect_leaks=0';
    process.env['UBSAN_OPTIONS'] = 'print_stacktrace=1:halt_on_error=1';
    g = await createGatewayLab({ tag: 'sz' });
    dataPlanePid = g.gatewayPids()[1];
  }, 16 * 60_000);
  afterAll(async () => {
    for (const key of [
      'PASSERELLE_DATAPLANE',
      'PASSERELLE_SECCOMP',
      'ASAN_OPTIONS',
      'UBSAN_OPTIONS',
    ])
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    await g?.down();
  });

  const probe = (scenario: string, args: object, timeoutMs?: number) =>
    runProbe(g, scenario, args, timeoutMs);

  function expectNoReport(): void {
    const output = g.gatewayOutput();
    expect(output).not.toMatch(/AddressSanitizer|LeakSanitizer|runtime error|data plane stopped/);
    expect(g.gatewayPids()[1]).toBe(dataPlanePid);
  }

  it('carries TCP, UDP, ICMP and HTTP/1.1 flows with nothing reported', async () => {
    expect(dataPlanePid).toBeGreaterThan(0);
    const tcp = await probe('tcp', {
      ...alice,
      target: `${LAB.web}:80`,
      payload: 'GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    });
    expect(tcp.body).toMatch(/198\.18\.0\.1\n$/);
    const dns = await probe('udpDns', { ...alice, server: LAB.dns, name: 'app.corp.test' });
    expect(dns).toMatchObject({ status: 200, answer: LAB.web });
    const login = await probe('login', { body: alice });
    const token = (login.body as { token: string }).token;
    const source = (login.body as { config: { intranetIp: string } }).config.intranetIp;
    const icmp = await probe('icmp', { ...alice, source, destinations: [LAB.web, LAB.denied] });
    expect(icmp.status).toBe(200);
    const curl = await g.lab.exec(g.lab.client, [
      'curl',
      '-sS',
      '--max-time',
      '10',
      '--proxy-cacert',
      g.pki.caCert,
      '--proxytunnel',
      '--proxy',
      g.url,
      '--proxy-header',
      `Proxy-Authorization: Bearer ${token}`,
      `http://${LAB.web}/whoami`,
    ]);
    expect(curl.stdout).toBe(`${LAB.gatewayPrivate}\n`);
    expectNoReport();
  }, 120_000);

  it('survives a bounded random-input driver, and still serves', async () => {
    const login = await probe('login', { body: alice });
    const token = (login.body as { token: string }).token;
    const run = await g.lab.exec(
      g.lab.client,
      [
        'node',
        FUZZ,
        g.url,
        g.pki.caCert,
        JSON.stringify({ seed: 20261201, connections: 400, seconds: 40, token }),
      ],
      { timeoutMs: 120_000 },
    );
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
      connections?: number;
    };
    console.log(`front-fuzz: ${run.stdout} ${run.stderr.slice(0, 500)}`);
    expect(result.connections).toBeGreaterThan(100);
    const after = await probe('tcp', {
      ...alice,
      target: `${LAB.web}:80`,
      payload: 'GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    });
    expect(after.body).toMatch(/198\.18\.0\.1\n$/);
    expectNoReport();
  }, 180_000);
});
