// The desktop UI end to end against the real system: the built renderer in Chromium (root
// namespace), its API relayed to the real AppController with the REAL tunnel engine running in
// the lab's client namespace (support/lab-app.ts, support/controller-host.ts), connected to the
// real gateway. Programs in the client namespace reach the intranet through the tunnel.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, USERS, type GatewayLab } from '../../src/lab/gateway-lab.js';
import { LAB } from '../../src/lab/netns.js';
import { buildRenderer, launchChromium, serveRenderer } from './support/harness.js';
import {
  bundleControllerHost,
  openLabApp,
  startControllerHost,
  type ControllerHost,
  type LabAppPage,
} from './support/lab-app.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'ui-lab');
const TUN = 'passerelle0';
const UNITS: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 };

let g: GatewayLab | undefined;
let host: ControllerHost | undefined;
let browser: Browser | undefined;
let server: { url: string; close(): Promise<void> } | undefined;
let app: LabAppPage;
let page: Page;

const lab = () => g as GatewayLab;
const sh = async (argv: string[], timeoutMs = 30_000) =>
  lab().lab.exec(lab().lab.client, argv, { timeoutMs });
// IPv4 only, as in test/e2e/engine.test.ts: the engine touches nothing else.
const netSnapshot = async () => ({
  routes: (await sh(['ip', '-4', '-j', 'route', 'show', 'table', 'all'])).stdout,
  addresses: (await sh(['ip', '-4', '-j', 'addr'])).stdout,
  resolv: (await sh(['cat', '/etc/resolv.conf'])).stdout,
});
let before: Awaited<ReturnType<typeof netSnapshot>>;

const shot = (name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const nav = (name: string) => page.getByRole('navigation').getByRole('button', { name });
const detail = (term: string) =>
  page.locator('.details > div').filter({ has: page.getByText(term, { exact: true }) });

/** "12.3 kB 1.2 kB/s" → 12300: the counter the Status view shows, in bytes. */
async function shownBytes(term: 'Received' | 'Sent'): Promise<number> {
  const text = (await detail(term).locator('dd').textContent()) ?? '';
  const match = /^([\d,.]+)\s*(B|kB|MB|GB)\b/.exec(text.trim());
  if (!match) return -1;
  return Number((match[1] as string).replace(/,/g, '')) * (UNITS[match[2] as string] ?? 0);
}

async function fillLogin(username: string, password: string) {
  await page.getByLabel('Gateway address').fill(lab().url);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
}
const connectButton = () => page.getByRole('button', { name: 'Connect', exact: true });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildRenderer();
  const bundle = await bundleControllerHost();
  g = await createGatewayLab({ tag: 'ui' });
  before = await netSnapshot();
  host = await startControllerHost(g, bundle);
  server = await serveRenderer();
  browser = await launchChromium();
  app = await openLabApp(browser, server.url, host);
  page = app.page;
}, 120_000);

afterAll(async () => {
  await app?.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  await host?.stop();
  await g?.down();
});

describe('desktop UI with the real engine in the netns lab', () => {
  it('shows the login form; the client namespace has no route to the intranet', async () => {
    await page.getByRole('heading', { name: 'Connect to your organisation' }).waitFor();
    expect(await page.getByRole('status').first().textContent()).toContain('Disconnected');
    const r = await sh(['curl', '-sS', '--max-time', '3', `http://${LAB.web}/whoami`]);
    expect(r.code).not.toBe(0);
    await shot('01-login');
  });

  it('refuses the gateway certificate at first and shows what it is', async () => {
    await fillLogin('alice', USERS.alice.password);
    await page.getByLabel('Remember my password in the system keychain').check();
    await connectButton().click();
    const panel = page.getByRole('alert').filter({ hasText: 'Check the gateway’s certificate' });
    await panel.waitFor({ timeout: 20_000 });
    const fingerprint = (await panel.locator('code.fingerprint').textContent()) ?? '';
    // The lab CA is not in the system store: the engine saw the gateway's own certificate.
    expect(fingerprint.toUpperCase()).toBe(lab().pki.fingerprint.toUpperCase());
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain('Issued toCN=gateway.corp.test');
    expect(text).toContain('Issued byCN=Passerelle lab CA');
    expect(text).toContain('It is signed by an authority this computer does not know.');
    const engine = await (host as ControllerHost).engine();
    expect(engine.state).toMatchObject({ kind: 'error', reason: 'untrusted-certificate' });
    expect(await netSnapshot()).toEqual(before);
    await shot('02-login-untrusted-certificate');
  });

  it('trusts the certificate and connects in one step; Status shows the intranet address', async () => {
    await page.getByRole('button', { name: 'Trust this certificate and connect' }).click();
    const ip = page.getByText(/^100\.64\.0\.\d{1,3}$/);
    await ip.waitFor({ timeout: 30_000 });
    // The profile now pins the gateway's public key (what a renewal keeps).
    const spki = new X509Certificate(readFileSync(lab().pki.cert)).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const profiles = await (host as ControllerHost).invoke('passerelle:profiles.list', null);
    expect(profiles).toMatchObject({
      type: 'success',
      value: {
        profiles: [
          {
            pin: `spki-sha256:${createHash('sha256').update(spki).digest('base64')}`,
            username: 'alice',
          },
        ],
      },
    });
    expect(await page.locator('.hero-label').textContent()).toBe('Connected');
    expect(await page.getByRole('status').first().textContent()).toContain('Connected');
    expect(await page.locator('.hero .muted').textContent()).toBe(LAB.gatewayPublic);
    // What the gateway's configuration does to this machine's traffic, as the engine applied it.
    const tunnel = page.getByRole('region', { name: 'What goes through the tunnel' });
    expect(await tunnel.locator('.chip').allTextContents()).toEqual(['198.18.0.0/23']);
    expect(await tunnel.textContent()).toContain(
      `Every name is looked up by the intranet server ${LAB.dns} first.`,
    );
    const engine = await (host as ControllerHost).engine();
    expect(engine.state.kind).toBe('connected');
    expect(await ip.textContent()).toBe(
      engine.state.kind === 'connected' ? engine.state.intranetIp : null,
    );
    expect(await page.getByRole('button', { name: 'Disconnect' }).isVisible()).toBe(true);
    // The engine samples its counters every second: show the first sample in the screenshot.
    await expect.poll(() => shownBytes('Received'), { timeout: 5000 }).toBeGreaterThanOrEqual(0);
    await shot('03-status-connected');
  });

  it('lists exactly the resources the policy gives alice, as the gateway sent them', async () => {
    await nav('Resources').click();
    await page.locator('tbody tr').first().waitFor();
    const names = await page.locator('tbody th').allTextContents();
    const addresses = await page.locator('tbody tr td:nth-of-type(1)').allTextContents();
    const ports = await page.locator('tbody tr td:nth-of-type(2)').allTextContents();
    // The gateway's answer, as the engine holds it.
    const { resources } = await (host as ControllerHost).engine();
    expect(names).toEqual(resources.map((r) => r.name));
    expect(addresses).toEqual(resources.map((r) => r.address));
    // And the example policy: staff may use web, dns, ping and echo; "secret" is not listed.
    expect([...names].sort()).toEqual(['dns', 'echo', 'ping', 'web']);
    const row = (name: string) => names.indexOf(name);
    expect(addresses[row('web')]).toBe('198.18.0.10/32');
    expect(ports[row('web')]).toBe('80 (HTTP), 8000–8099');
    expect(addresses[row('dns')]).toBe('198.18.0.53/32');
    expect(ports[row('dns')]).toBe('53 (DNS)');
    expect(ports[row('ping')]).toBe('No ports (ping)');
    expect(ports[row('echo')]).toBe('7 (Echo)');
    expect(await page.getByRole('status').filter({ hasText: 'resources' }).textContent()).toBe(
      '4 resources',
    );
    await shot('04-resources');
  });

  it('reaches an intranet server from the client namespace; the counters move', async () => {
    await nav('Connection').click();
    await page.locator('.hero-label').getByText('Connected').waitFor();
    const inBefore = await shownBytes('Received');
    const outBefore = await shownBytes('Sent');
    const engineBefore = (await (host as ControllerHost).engine()).stats;

    const route = JSON.parse((await sh(['ip', '-j', 'route', 'get', LAB.web])).stdout) as {
      dev: string;
    }[];
    expect(route[0]?.dev).toBe(TUN);
    const whoami = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
    expect(whoami.stderr).toBe('');
    expect(whoami.stdout.trim()).toBe(LAB.gatewayPrivate);
    // Enough bytes to see in the UI's units.
    const size = 2_000_000;
    const download = await sh([
      'sh',
      '-c',
      `curl -sS --max-time 30 http://${LAB.web}/bytes?n=${size} | wc -c`,
    ]);
    expect(download.stdout.trim()).toBe(String(size));
    expect(await page.locator('.hero-label').textContent()).toBe('Connected');

    await expect
      .poll(() => shownBytes('Received'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(inBefore + size);
    await expect.poll(() => shownBytes('Sent'), { timeout: 10_000 }).toBeGreaterThan(outBefore);
    const engineAfter = (await (host as ControllerHost).engine()).stats;
    expect(engineAfter.bytesIn).toBeGreaterThanOrEqual(engineBefore.bytesIn + size);
    expect(engineAfter.flowsTotal.tcp).toBeGreaterThanOrEqual(engineBefore.flowsTotal.tcp + 2);
    // The graph drew the samples of the real engine.
    await expect
      .poll(() => page.locator('.graph-line-in').getAttribute('d'), { timeout: 5000 })
      .toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){2,}/);
    await shot('05-status-traffic');
  });

  it('shows the settings and the log of the session', async () => {
    await nav('Settings').click();
    await page.getByLabel('Start Passerelle when I log in').waitFor();
    await shot('06-settings');
    await nav('Logs').click();
    const log = page.getByRole('log');
    await log.waitFor();
    await expect.poll(() => log.textContent()).toContain(`Connected to ${LAB.gatewayPublic}`);
    const text = (await log.textContent()) ?? '';
    expect(text).toMatch(/certificate/i);
    expect(text).not.toContain(USERS.alice.password);
    await shot('07-logs');
  });

  it('disconnects: the state is disconnected and the namespace is as before', async () => {
    await nav('Connection').click();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await connectButton().waitFor({ timeout: 15_000 });
    expect(await page.locator('.hero-label').textContent()).toBe('Disconnected');
    expect(await page.getByRole('status').first().textContent()).toContain('Disconnected');
    expect((await (host as ControllerHost).engine()).state.kind).toBe('disconnected');
    expect(await netSnapshot()).toEqual(before);
    const r = await sh(['curl', '-sS', '--max-time', '3', `http://${LAB.web}/whoami`]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    await shot('08-status-disconnected');
    await nav('Resources').click();
    await page.getByText('Connect to see the resources you may reach.').waitFor();
  });

  it('says so in plain words when the password is wrong', async () => {
    await nav('Connection').click();
    await page.getByRole('button', { name: 'Use another account or gateway' }).click();
    await fillLogin('alice', 'not-alices-password');
    await connectButton().click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toContain('The user name or password is wrong');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect((await (host as ControllerHost).engine()).state).toMatchObject({
      kind: 'error',
      reason: 'bad-credentials',
    });
    expect(await netSnapshot()).toEqual(before);
    await shot('09-login-wrong-password');
  });

  it('saw no console error, page error or CSP violation', () => {
    expect(app.problems).toEqual([]);
  });
});
