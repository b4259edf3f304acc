// The gateway's front door under attack by someone without an account (issue #8, findings 1,
// 2, 10, 12 and 13): connections that never finish TLS or never send a request, requests that
// never finish, a flood of failed logins, requests abandoned halfway, weak TLS 1.2 suites. Each
// attack comes from the lab's client host on addresses of its own (198.19.0.3 to .6), while an
// allowed user on 198.19.0.2 logs in and reaches the intranet web server; each test checks the
// user is served while the attack runs and after it.
//
// These tests are the data plane's contract: they look only at what a client sees (closes,
// statuses, stream resets, timings), the gateway's log and metrics, and the gateway process's
// descriptors, memory and CPU in /proc. A gateway written in any language must pass them as
// they are.
//
// Scale: the real limits are sized for 20,000 descriptors, which CI cannot fill in a minute;
// the configuration below lowers the connection caps so that a few hundred connections reach
// them. The deadlines are the real ones (10 s).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, ROOT, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { LAB } from '../lab/lab.js';
import { sampleProcess } from '../lab/process-stats.js';

const ATTACKERS = ['198.19.0.3', '198.19.0.4', '198.19.0.5', '198.19.0.6'];
const CAPS = {
  unauthenticatedConnections: 100,
  unauthenticatedConnectionsPerSource: 40,
  unauthenticatedStreams: 4,
  unauthenticatedBytesPerConnection: 32_768,
  loginVerifications: 1,
  loginQueue: 4,
};
// The login limiter per source is raised out of the way: finding 10 is about a flood from many
// addresses, which a per-address limit does not stop; here one address plays many.
const CONFIG = `limits:
  unauthenticatedConnections: ${CAPS.unauthenticatedConnections}
  unauthenticatedConnectionsPerSource: ${CAPS.unauthenticatedConnectionsPerSource}
  unauthenticatedStreams: ${CAPS.unauthenticatedStreams}
  unauthenticatedBytesPerConnection: ${CAPS.unauthenticatedBytesPerConnection}
  loginVerifications: ${CAPS.loginVerifications}
  loginQueue: ${CAPS.loginQueue}
  loginsPerMinutePerIp: 1000000
`;
const DEADLINE_MS = 10_000;
const HOSTILE = join(ROOT, 'test/lab/fixtures/hostile-front.mjs');

interface Sample {
  fds: number;
  rssKiB: number;
  cpuTicks: number;
}

describe('hostile clients at the front door', () => {
  let g: GatewayLab;
  let token: string;

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'hf', extraConfig: CONFIG, clientAddresses: ATTACKERS });
    token = await login();
  }, 60_000);
  afterAll(async () => {
    // A gateway that died under attack says why here.
    if (g && g.gateway.exitCode !== null) console.log(`gateway output:\n${g.gatewayOutput()}`);
    await g?.down();
  });

  function attack(name: string, args: object, timeoutMs = 60_000) {
    return g.lab
      .exec(g.lab.client, ['node', HOSTILE, g.url, g.pki.caCert, name, JSON.stringify(args)], {
        timeoutMs,
      })
      .then((r) => {
        const line = r.stdout.trim().split('\n').pop() ?? '';
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`attack ${name} printed ${JSON.stringify(r.stdout)} ${r.stderr}`);
        }
      });
  }

  function curl(args: string[], maxSeconds = 10) {
    return g.lab.exec(g.lab.client, [
      'curl',
      '-sS',
      '--max-time',
      String(maxSeconds),
      '--cacert',
      g.pki.caCert,
      ...args,
    ]);
  }

  /** The allowed user logs in over HTTP/1.1 from 198.19.0.2; the session token. */
  async function login(): Promise<string> {
    const r = await curl([
      '-H',
      'content-type: application/json',
      '--data-binary',
      JSON.stringify({ username: 'alice', password: USERS.alice.password }),
      `${g.url}/api/v1/sessions`,
    ]);
    const body = JSON.parse(r.stdout) as { token?: string };
    if (!body.token) throw new Error(`login failed: ${r.stdout} ${r.stderr}`);
    return body.token;
  }

  /**
   * The allowed user's request: curl through the gateway as an HTTPS proxy (a new TLS
   * connection, CONNECT, then GET) to the intranet web server, by address or by name. Returns
   * the time it took, or throws with what went wrong.
   */
  async function allowedRequest(target: string = LAB.web): Promise<number> {
    const t0 = Date.now();
    const r = await curl([
      '-v',
      '--proxy',
      g.url,
      '--proxy-cacert',
      g.pki.caCert,
      '--proxytunnel',
      '--proxy-header',
      `Proxy-Authorization: Bearer ${token}`,
      `http://${target}/whoami`,
    ]);
    const ms = Date.now() - t0;
    if (r.code !== 0 || !r.stdout.endsWith(`${LAB.gatewayPrivate}\n`)) {
      const answer = r.stderr.split('\n').filter((line) => line.startsWith('< '));
      throw new Error(`allowed request failed (curl ${r.code}): ${answer.join(' ')} ${r.stdout}`);
    }
    return ms;
  }

  /**
   * Runs allowed requests one after another until `until` settles: their durations, and what
   * went wrong with those that failed.
   */
  async function allowedRequestsDuring(until: Promise<unknown>, target?: string) {
    let done = false;
    void until.finally(() => (done = true));
    const durations: number[] = [];
    const failures: string[] = [];
    while (!done) {
      const t0 = Date.now();
      try {
        await allowedRequest(target);
      } catch (err) {
        failures.push((err as Error).message);
      }
      durations.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { durations, failures };
  }

  /** The whole gateway: its control plane and its native data plane (a child process). */
  function sample(): Sample {
    const { fds, rssKiB, cpuMs } = sampleProcess(g.gateway.pid as number);
    return { fds, rssKiB, cpuTicks: Math.round(cpuMs / 10) };
  }

  /** Samples the gateway process every 200 ms until `until` settles; the peaks. */
  async function watchGateway(until: Promise<unknown>) {
    const first = sample();
    let peak = first;
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
      const now = sample();
      peak = {
        fds: Math.max(peak.fds, now.fds),
        rssKiB: Math.max(peak.rssKiB, now.rssKiB),
        cpuTicks: now.cpuTicks,
      };
      await new Promise((r) => setTimeout(r, 200));
    }
    return { first, peak, cpuTicks: sample().cpuTicks - first.cpuTicks };
  }

  function report(
    finding: string,
    watched: Awaited<ReturnType<typeof watchGateway>>,
    allowed: { durations: number[]; failures: string[] },
  ) {
    const sorted = [...allowed.durations].sort((a, b) => a - b);
    console.log(
      `[hostile-front] ${finding}: fds ${watched.first.fds} -> peak ${watched.peak.fds}, ` +
        `RSS ${Math.round(watched.first.rssKiB / 1024)} -> peak ${Math.round(watched.peak.rssKiB / 1024)} MiB, ` +
        `CPU ${watched.cpuTicks} ticks, allowed requests ${sorted.length} ` +
        `(${allowed.failures.length} failed), ` +
        `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
    );
  }

  it('finding 1: closes connections that never finish TLS or never send a request, and caps them per source and overall', async () => {
    const baseline = sample();
    // 4 sources x 60 connections: each source is over its cap (40), and together they are
    // over the overall cap of connections before login (100).
    const count = 60;
    const holdMs = DEADLINE_MS + 6_000;
    const running = attack(
      'silent',
      { sources: ATTACKERS, count, modes: ['tcp', 'tls-h2', 'tls-h1', 'tcp'], holdMs },
      holdMs + 20_000,
    );
    const watching = watchGateway(running);
    const during = await allowedRequestsDuring(running);
    const result = (await running) as {
      perSource: {
        source: string;
        mode: string;
        lifetimes: (number | null)[];
        connected: number;
      }[];
    };
    const watched = await watching;
    report('finding 1 (silent connections)', watched, during);

    for (const source of result.perSource) {
      // Nothing stays open: every connection is closed by the gateway within the deadline
      // (plus scheduling margin), whether it never began TLS or never sent a request.
      const lifetimes = source.lifetimes.map((t) => t ?? Infinity);
      expect(Math.max(...lifetimes), `${source.source} (${source.mode})`).toBeLessThan(
        DEADLINE_MS + 3_000,
      );
      // Past the cap per source, connections are closed at once.
      const atOnce = lifetimes.filter((t) => t < 2_000).length;
      expect(atOnce, source.source).toBeGreaterThanOrEqual(
        count - CAPS.unauthenticatedConnectionsPerSource,
      );
    }
    // The gateway never held more than the overall cap before login (+ the user's own and a
    // margin for the audit log, the metrics and scrapes).
    expect(watched.peak.fds - baseline.fds).toBeLessThanOrEqual(
      CAPS.unauthenticatedConnections + 10,
    );
    expect(during.failures).toEqual([]);
    expect(during.durations.length).toBeGreaterThan(5);
    // After: back to where it was, and still serving.
    await new Promise((r) => setTimeout(r, 500));
    expect(sample().fds - baseline.fds).toBeLessThanOrEqual(5);
    await allowedRequest();
    // Each connection past the caps was refused on arrival (per source) or closed to make
    // room for a newer one (overall).
    const metrics = await g.metrics();
    expect(
      metrics(
        'passerelle_connections_refused_total{limit="unauthenticated-connections-per-source"}',
      ) + metrics('passerelle_connections_closed_total{reason="evicted"}'),
    ).toBeGreaterThanOrEqual(ATTACKERS.length * count - CAPS.unauthenticatedConnections);
    expect(
      metrics('passerelle_connections_closed_total{reason="handshake-timeout"}'),
    ).toBeGreaterThan(0);
    expect(
      metrics('passerelle_connections_closed_total{reason="request-timeout"}'),
    ).toBeGreaterThan(0);
  }, 90_000);

  it('finding 2: bounds what an unfinished request can make the gateway hold before login, and closes it after 10 s', async () => {
    const baseline = sample();
    // 2 connections x 1,500 logins whose body stops 1 byte short of the 16 KiB limit and never
    // ends, and an HTTP/1.1 login whose body comes one byte a second.
    const running = attack(
      'unfinishedStreams',
      {
        source: ATTACKERS[0],
        connections: 2,
        streams: 1_500,
        bytes: 16_383,
        holdMs: DEADLINE_MS + 8_000,
        slowHttp1: true,
      },
      60_000,
    );
    const watching = watchGateway(running);
    const during = await allowedRequestsDuring(running);
    const result = (await running) as {
      opened: number;
      outcomes: Record<string, number>;
      longestMs: number;
      http1: { status: string | null; lifetime: number | null };
    };
    const watched = await watching;
    report('finding 2 (unfinished requests)', watched, during);

    // Per connection at most `unauthenticatedStreams` logins are taken and answered (408 at
    // the deadline, 429 past the bytes per connection); the others are refused (RST_STREAM
    // REFUSED_STREAM = 7), or closed with their connection, or never leave the client if the
    // gateway advertises a lower SETTINGS_MAX_CONCURRENT_STREAMS. None stays open.
    const answered = Object.entries(result.outcomes)
      .filter(([outcome]) => /^\d{3}$/.test(outcome))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(answered, JSON.stringify(result.outcomes)).toBeGreaterThan(0);
    expect(answered, JSON.stringify(result.outcomes)).toBeLessThanOrEqual(
      2 * CAPS.unauthenticatedStreams,
    );
    expect(result.outcomes.open ?? 0).toBe(0);
    expect(result.longestMs).toBeLessThan(DEADLINE_MS + 3_000);
    expect(result.http1.status).toBe('408');
    expect(result.http1.lifetime).toBeLessThan(DEADLINE_MS + 3_000);
    // Memory: 3,000 unfinished 16 KiB logins cost the gateway less than 48 MiB (about 70 MiB,
    // never given back, before the fix).
    expect(watched.peak.rssKiB - baseline.rssKiB).toBeLessThan(48 * 1024);
    expect(during.failures).toEqual([]);
    expect(during.durations.length).toBeGreaterThan(5);
    await allowedRequest();
    const metrics = await g.metrics();
    expect(
      metrics('passerelle_streams_refused_total{limit="unauthenticated-streams"}'),
    ).toBeGreaterThan(0);
  }, 90_000);

  it('finding 10: a flood of failed logins neither queues without bound nor slows down name resolution', async () => {
    const before: number[] = [];
    for (let i = 0; i < 5; i++) before.push(await allowedRequest('app.corp.test'));
    // About 40 failed logins a second for 8 s from two addresses, up to 60 unanswered at once
    // (a scrypt verification costs ~100 ms of a core here: far more than the gateway can do).
    const running = attack(
      'loginFlood',
      { sources: ATTACKERS.slice(0, 2), connections: 4, rate: 40, durationMs: 8_000, inFlight: 60 },
      60_000,
    );
    const watching = watchGateway(running);
    const during = await allowedRequestsDuring(running, 'app.corp.test');
    const result = (await running) as {
      sent: number;
      statuses: Record<string, number>;
      medianMs: number;
    };
    const watched = await watching;
    report('finding 10 (login flood, CONNECT by name)', watched, during);
    console.log(`[hostile-front] finding 10: logins ${JSON.stringify(result)}, before ${before}`);

    // Past the verifications in flight and the short queue, logins are refused at once with 503.
    expect(result.statuses['503'] ?? 0).toBeGreaterThan(0);
    expect(result.statuses['401'] ?? 0).toBeGreaterThan(0);
    expect(result.medianMs).toBeLessThan(2_000);
    // A CONNECT by name while logins are being verified: name resolution does not wait behind
    // them (it took over a second before the fix). 1.5 s is a wide margin on a loaded machine
    // for a request whose own TLS handshake competes for the CPU.
    expect(during.failures).toEqual([]);
    const sorted = [...during.durations].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(750);
    expect(sorted.at(-1)).toBeLessThan(1_500);
    // After the flood, the user logs in at once.
    const t0 = Date.now();
    token = await login();
    expect(Date.now() - t0).toBeLessThan(3_000);
    await allowedRequest('app.corp.test');
    const metrics = await g.metrics();
    expect(metrics('passerelle_logins_total{result="busy"}')).toBeGreaterThan(0);
  }, 90_000);

  it('finding 12: a request abandoned halfway is counted, without an error in the log', async () => {
    const running = attack('abandonedHttp1', { source: ATTACKERS[1], count: 30 });
    const watching = watchGateway(running);
    const during = await allowedRequestsDuring(running);
    report('finding 12 (abandoned HTTP/1.1 requests)', await watching, during);
    expect(await running).toMatchObject({ abandoned: 30 });
    expect(during.failures).toEqual([]);
    expect(during.durations.length).toBeGreaterThan(0);
    await allowedRequest();
    expect(g.gatewayOutput()).not.toMatch(/internal error|\n\s+at /);
    const metrics = await g.metrics();
    expect(metrics('passerelle_requests_abandoned_total')).toBeGreaterThanOrEqual(30);
  });

  it('finding 13: TLS 1.2 offers only ECDHE with AES-GCM or ChaCha20-Poly1305', async () => {
    const handshake = async (version: string, cipher: string) => {
      const r = await g.lab.exec(
        g.lab.client,
        [
          'openssl',
          's_client',
          version,
          ...(version === '-tls1_3' ? ['-ciphersuites', cipher] : ['-cipher', cipher]),
          '-CAfile',
          g.pki.caCert,
          '-bind',
          `${ATTACKERS[2]}:0`,
          '-connect',
          `${LAB.gatewayPublic}:443`,
        ],
        { input: 'Q\n', timeoutMs: 10_000 },
      );
      // "New, TLSv1.2, Cipher is ECDHE-…", or "New, (NONE), Cipher is (NONE)" when refused.
      const chosen = /Cipher is (\S+)/.exec(r.stdout)?.[1];
      return chosen === undefined || chosen === '(NONE)' ? 'refused' : chosen;
    };
    const weak = [
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA',
      'ECDHE-ECDSA-AES128-SHA256',
      'ECDHE-ECDSA-AES256-SHA384',
      'ECDHE-ECDSA-AES128-CCM8',
      'ECDHE-ECDSA-AES256-CCM8',
      'ECDHE-ECDSA-AES128-CCM',
      'AES128-GCM-SHA256',
      'AES256-SHA',
    ];
    const strong = [
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-CHACHA20-POLY1305',
    ];
    const running = (async () => {
      const outcome: Record<string, string> = {};
      for (const cipher of [...weak, ...strong])
        outcome[cipher] = await handshake('-tls1_2', cipher);
      outcome.tls13 = await handshake('-tls1_3', 'TLS_AES_128_GCM_SHA256');
      return outcome;
    })();
    const watching = watchGateway(running);
    const during = await allowedRequestsDuring(running);
    report('finding 13 (TLS 1.2 suites)', await watching, during);
    const outcome = await running;
    for (const cipher of weak) expect(outcome[cipher], cipher).toBe('refused');
    for (const cipher of strong) expect(outcome[cipher], cipher).toBe(cipher);
    expect(outcome.tls13).toBe('TLS_AES_128_GCM_SHA256');
    expect(during.failures).toEqual([]);
    expect(during.durations.length).toBeGreaterThan(0);
    await allowedRequest();
  });
});
