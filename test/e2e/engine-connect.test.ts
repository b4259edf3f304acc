// How a connection starts, as users see it: the engine announces each phase (resolving,
// securing, signing in, configuring), can be cancelled in any of them without leaving anything
// behind (no TUN, route, DNS change or gateway session), says why a gateway is unreachable, and
// keeps trusting a pinned public key across a certificate renewal with the same key.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient } from '../lab/client-runner.js';
import { createGatewayLab, ROOT, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { LAB, waitFor } from '../lab/lab.js';
import { reissueGatewayCertificate } from '../lab/pki.js';
import { CONNECT_PHASES } from '../../src/main/engine/types.js';

const FIXTURE = join(ROOT, 'test/e2e/fixtures/engine-connect-fixture.mjs');

interface FixtureLine {
  event: string;
  kind?: string;
  phase?: string;
  [key: string]: unknown;
}
interface FixtureRun {
  states: FixtureLine[];
  done: FixtureLine & {
    outcome: 'resolved' | 'rejected';
    error: { reason?: string; message: string } | null;
    finalState: FixtureLine;
    elapsedMs: number;
    cancelTookMs: number | null;
  };
  output: string;
}

describe('engine: connection phases, cancellation, causes and pins', () => {
  let g: GatewayLab;
  let ca: string;
  let before: { routes: string; addresses: string; resolv: string; links: string };

  const sh = (argv: string[]) => g.lab.exec(g.lab.client, argv, { timeoutMs: 30_000 });
  const snapshot = async () => ({
    routes: (await sh(['ip', '-4', '-j', 'route', 'show', 'table', 'all'])).stdout,
    addresses: (await sh(['ip', '-4', '-j', 'addr'])).stdout,
    resolv: (await sh(['cat', '/etc/resolv.conf'])).stdout,
    links: (await sh(['ip', '-br', 'link'])).stdout,
  });
  const sessions = async () => (await g.metrics())('passerelle_sessions');

  async function connect(options: Record<string, unknown>): Promise<FixtureRun> {
    const r = await g.lab.exec(
      g.lab.client,
      [
        'node',
        FIXTURE,
        JSON.stringify({
          gatewayUrl: g.url,
          username: 'alice',
          password: USERS.alice.password,
          ca,
          stateDir: join(g.dir, 'engine-state'),
          ...options,
        }),
      ],
      { timeoutMs: 40_000 },
    );
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as FixtureLine);
    const done = lines.find((l) => l.event === 'done');
    if (!done) throw new Error(`the fixture did not finish: ${r.stdout}\n${r.stderr}`);
    return {
      states: lines.filter((l) => l.event === 'state'),
      done: done as FixtureRun['done'],
      output: r.stdout + r.stderr,
    };
  }

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'cx' });
    ca = readFileSync(g.pki.caCert, 'utf8');
    before = await snapshot();
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  it('announces the four phases in order, then says what the tunnel secures', async () => {
    const run = await connect({ disconnectAfterConnect: true });
    expect(run.done.outcome).toBe('resolved');
    expect(run.states.filter((s) => s.kind === 'connecting').map((s) => s.phase)).toEqual([
      ...CONNECT_PHASES,
    ]);
    const connected = run.states.find((s) => s.kind === 'connected');
    expect(connected).toMatchObject({
      gateway: g.url,
      tunnel: {
        splitTunnel: true,
        routes: ['198.18.0.0/23'],
        dns: { servers: [LAB.dns], domains: ['corp.test'] },
      },
    });
    // The lab has no systemd-resolved: every name goes to the intranet server first.
    expect((connected?.tunnel as { dns: { scope: string } }).dns.scope).toBe('all');
    expect(await snapshot()).toEqual(before);
    expect(await sessions()).toBe(0);
  });

  for (const phase of CONNECT_PHASES) {
    it(`a cancel as "${phase}" starts undoes everything and ends disconnected`, async () => {
      const run = await connect({ cancelAt: phase });
      expect(run.done.outcome).toBe('resolved');
      expect(run.done.error).toBeNull();
      expect(run.done.finalState).toMatchObject({ kind: 'disconnected' });
      expect(run.states.at(-1)).toMatchObject({ kind: 'disconnected' });
      expect(run.states.some((s) => s.kind === 'connected' || s.kind === 'error')).toBe(false);
      // No phase after the one cancelled.
      const phases = run.states.filter((s) => s.kind === 'connecting').map((s) => s.phase);
      expect(phases.at(-1)).toBe(phase);
      expect(await snapshot()).toEqual(before);
      expect(await sessions()).toBe(0);
    });
  }

  it('a cancel while the login is on its way logs the new session out', async () => {
    // The gateway hashes the password (scrypt) before it answers: 5 ms in, the request is sent
    // and the answer not back.
    const run = await connect({ cancelAt: 'signing-in', cancelDelayMs: 5 });
    expect(run.done.finalState).toMatchObject({ kind: 'disconnected' });
    expect(run.done.cancelTookMs).toBeLessThan(5000);
    expect(await snapshot()).toEqual(before);
    expect(await sessions()).toBe(0);
    const count = (event: string) =>
      g
        .auditEvents()
        .filter((e) => e.event === event && e.user === 'alice' && e.result !== 'failure').length;
    expect(count('login')).toBeGreaterThan(0);
    await expect.poll(() => count('logout')).toBe(count('login'));
  });

  it('a cancel cuts a TLS handshake the gateway never answers short', async () => {
    // Both gateway processes: the data plane answers TLS by itself.
    const pids = g.gatewayPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP'); // the kernel still accepts the TCP connection
    try {
      const run = await connect({ cancelAt: 'securing', cancelDelayMs: 1000 });
      expect(run.done.finalState).toMatchObject({ kind: 'disconnected' });
      // Without the cancel it would wait for its 10 s timeout (wide margins: a loaded machine).
      expect(run.done.cancelTookMs).toBeLessThan(4000);
      expect(run.done.elapsedMs).toBeLessThan(8000);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('the headless client: Ctrl-C while connecting cancels at once, exit 0', async () => {
    const pids = g.gatewayPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const client = startClient(g);
      await client.waitForState('connecting');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const interruptedAt = Date.now();
      client.child.kill('SIGINT');
      expect(await client.exited).toBe(0);
      // Not after the 10 s TLS timeout (wide margin: a loaded machine).
      expect(Date.now() - interruptedAt).toBeLessThan(6000);
      expect(client.states().at(-1)).toMatchObject({ kind: 'disconnected' });
      expect(client.states().find((s) => s.kind === 'connecting')).toMatchObject({
        phase: 'resolving',
      });
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('says why the gateway cannot be reached: refused, or no DNS answer', async () => {
    const refused = await connect({ gatewayUrl: `https://${LAB.gatewayPublic}:4443` });
    expect(refused.done.outcome).toBe('rejected');
    expect(refused.done.finalState).toMatchObject({
      kind: 'error',
      reason: 'gateway-unreachable',
      cause: 'refused',
    });
    // The client namespace's resolver points at 127.0.0.53, where nothing answers.
    const noDns = await connect({ gatewayUrl: 'https://nowhere.corp.test' });
    expect(noDns.done.finalState).toMatchObject({
      kind: 'error',
      reason: 'gateway-unreachable',
      cause: 'dns-unavailable',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('a locked-out account says when the gateway accepts it again (Retry-After)', async () => {
    // carol only: the lockout is per user name, and this file's logins stay under the
    // per-address rate.
    for (let i = 0; i < 5; i++) {
      const wrong = await connect({ username: 'carol', password: 'not-carols-password' });
      expect(wrong.done.finalState).toMatchObject({ reason: 'bad-credentials' });
    }
    const before = Date.now();
    const locked = await connect({ username: 'carol', password: USERS.carol.password });
    const state = locked.done.finalState as unknown as { reason: string; retryAt: number };
    expect(state.reason).toBe('rate-limited');
    // The gateway's lockout is minutes long; the engine turns Retry-After into a time.
    expect(state.retryAt).toBeGreaterThan(before + 30_000);
    expect(state.retryAt).toBeLessThan(before + 3_600_000);
  }, 30_000);

  describe('certificate pins', () => {
    const openssl = (args: string[]) =>
      execFileSync('openssl', args, { cwd: g.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const spkiPin = () => {
      const der = openssl(['x509', '-in', 'gw.crt', '-noout', '-pubkey']);
      const spki = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: der });
      const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: spki });
      return `spki-sha256:${digest.toString('base64')}`;
    };
    const certPin = () =>
      `sha256:${openssl(['x509', '-in', 'gw.crt', '-noout', '-fingerprint', '-sha256']).toString().trim().replace(/^.*=/, '')}`;
    /** A new gw.crt from the lab CA, with the current key or a new one, then a restart. */
    const reissue = async (newKey: boolean) => {
      reissueGatewayCertificate(g.dir, { newKey });
      await g.restartGateway();
    };

    it('a public-key pin survives a renewal with the same key; a new key is a changed certificate', async () => {
      const keyPin = spkiPin();
      const oldCertPin = certPin();
      const first = await connect({ ca: undefined, pin: keyPin, disconnectAfterConnect: true });
      expect(first.done.finalState).toMatchObject({ kind: 'connected' });

      await reissue(false);
      expect(certPin()).not.toBe(oldCertPin);
      const renewed = await connect({ ca: undefined, pin: keyPin, disconnectAfterConnect: true });
      expect(renewed.done.finalState).toMatchObject({ kind: 'connected' });
      // The old certificate pin does not follow the renewal: that is a changed certificate.
      const byOldCert = await connect({ ca: undefined, pin: oldCertPin });
      expect(byOldCert.done.finalState).toMatchObject({
        kind: 'error',
        reason: 'certificate-changed',
        certificate: { problem: 'pin-mismatch', sha256: certPin().slice('sha256:'.length) },
      });

      await reissue(true);
      const replaced = await connect({ ca: undefined, pin: keyPin });
      expect(replaced.done.outcome).toBe('rejected');
      expect(replaced.done.finalState).toMatchObject({
        kind: 'error',
        reason: 'certificate-changed',
        certificate: {
          subject: 'CN=gateway.corp.test',
          issuer: 'CN=Passerelle lab CA',
          problem: 'pin-mismatch',
          spkiSha256: spkiPin().slice('spki-sha256:'.length),
        },
      });
      expect(await snapshot()).toEqual(before);
    }, 60_000);

    it('on a reconnect too: a renewal with the same key resumes without a question, a new key stops', async () => {
      // The data plane pins the leaf it was given; after a restart with a renewed certificate it
      // meets another leaf, and TypeScript decides again with the public-key pin.
      const client = startClient(g, { trust: 'none', extraArgs: ['--pin', spkiPin()] });
      const kinds = () => client.states().map((s) => s.kind);
      try {
        await client.waitForState('connected');
        const beforeRenewal = kinds().length;
        await reissue(false);
        await waitFor(
          'connected again after the renewal',
          () =>
            kinds().slice(beforeRenewal).includes('reconnecting') && kinds().at(-1) === 'connected',
          30_000,
        );
        expect(kinds().slice(beforeRenewal)).not.toContain('error');

        await reissue(true);
        expect(await client.exited).toBe(4); // the CLI's exit code for a certificate refused
        expect(client.states().at(-1)).toMatchObject({
          kind: 'error',
          reason: 'certificate-changed',
          certificate: {
            problem: 'pin-mismatch',
            spkiSha256: spkiPin().slice('spki-sha256:'.length),
          },
        });
      } finally {
        client.child.kill('SIGKILL');
      }
      expect(await snapshot()).toEqual(before);
      expect(await sessions()).toBe(0);
    }, 90_000);

    it('an untrusted certificate says who it names, who signed it and why it is refused', async () => {
      const run = await connect({ ca: undefined });
      expect(run.done.finalState).toMatchObject({
        kind: 'error',
        reason: 'untrusted-certificate',
        fingerprint: certPin().slice('sha256:'.length),
        certificate: {
          subject: 'CN=gateway.corp.test',
          issuer: 'CN=Passerelle lab CA',
          problem: 'unknown-issuer',
        },
      });
    });
  });
});
