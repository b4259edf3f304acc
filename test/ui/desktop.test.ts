// End to end through the real renderer and the real controller, in Chromium. The engine is the
// TEST DOUBLE from support/engine-double.ts until the lab wiring swaps in the real one
// (support/harness.ts, createEngine).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  SCENARIO,
  buildRenderer,
  launchChromium,
  serveRenderer,
  startApp,
  type AppUnderTest,
} from './support/harness.js';

let browser: Browser;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildRenderer();
  server = await serveRenderer();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const nav = (page: Page, name: string) =>
  page.getByRole('navigation').getByRole('button', { name });

async function logIn(page: Page, username: string, password: string, remember = true) {
  await page.getByLabel('Gateway address').fill('vpn.corp.test');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const box = page.getByLabel('Remember my password in the system keychain');
  if ((await box.isChecked()) !== remember) await box.click();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

describe('desktop UI (engine: test double)', () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp(browser, server.url);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('shows the login form first', async () => {
    const { page } = app;
    await expect
      .poll(() => page.getByRole('heading', { name: 'Connect to your organisation' }).isVisible())
      .toBe(true);
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toContain('Disconnected');
    await shot(page, '01-login');
  });

  it('says so in plain words when the password is wrong', async () => {
    const { page } = app;
    await logIn(page, 'alice', 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The user name or password is wrong');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(await app.credentials.get('alice@vpn.corp.test')).toBeNull();
    await shot(page, '02-login-wrong-password');
  });

  it('connects and shows the status', async () => {
    const { page } = app;
    await logIn(page, 'alice', 'correct horse battery staple');
    await page.getByText('100.64.0.2').waitFor();
    expect(await page.locator('.hero-label').textContent()).toBe('Connected');
    await expect.poll(() => page.locator('.details').textContent()).toMatch(/Received.*kB/);
    expect(await page.getByRole('button', { name: 'Disconnect' }).isVisible()).toBe(true);
    // Remember me was ticked: the password went to the keychain, and only there.
    expect(await app.credentials.get('alice@vpn.corp.test')).toBe('correct horse battery staple');
    expect(readFileSync(app.settingsPath, 'utf8')).not.toContain('correct horse');
    expect(app.notifications.map((n) => n.title)).toContain('Connected');
    await page.waitForTimeout(1200); // let the rate settle for the screenshot
    await shot(page, '03-status-connected');
  });

  it('lists exactly the resources of the session, searchable', async () => {
    const { page } = app;
    await nav(page, 'Resources').click();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    const names = await page.locator('tbody th').allTextContents();
    expect(names).toEqual(SCENARIO.resources.map((r) => r.name));
    const addresses = await page.locator('tbody tr td:first-of-type').allTextContents();
    expect(addresses).toEqual(SCENARIO.resources.map((r) => r.address));
    // Ports name their service; a ping-only resource has no ports to show.
    expect(await rows.nth(0).textContent()).toContain('80 (HTTP), 443 (HTTPS)');
    expect(await rows.nth(2).textContent()).toContain('8000–8100');
    expect(await rows.nth(3).textContent()).toContain('22 (SSH), 3389 (Remote Desktop)');
    expect(await rows.nth(4).textContent()).toContain('No ports (ping)');
    expect(await rows.nth(4).textContent()).not.toContain('All ports');
    await shot(page, '04-resources');

    await page.getByLabel('Search resources').fill('8050');
    await expect.poll(() => page.locator('tbody th').allTextContents()).toEqual(['Build farm']);
    await page.getByLabel('Search resources').fill('udp');
    await expect.poll(() => page.locator('tbody th').allTextContents()).toEqual(['Intranet DNS']);
    await page.getByLabel('Search resources').fill('ssh');
    await expect.poll(() => page.locator('tbody th').allTextContents()).toEqual(['Admin hosts']);
    await page.getByLabel('Search resources').fill('');
  });

  it('changes settings: start at login writes the XDG entry', async () => {
    const { page } = app;
    await nav(page, 'Settings').click();
    await page.getByLabel('Start Passerelle when I log in').check();
    await expect.poll(() => app.autostart.isEnabled()).toBe(true);
    expect(readFileSync(app.autostart.file, 'utf8')).toContain(
      'Exec=/opt/Passerelle/passerelle-desktop --autostart',
    );
    await page.getByLabel('Connect when Passerelle starts').check();
    await expect.poll(() => app.controller.preferences().connectAtStart).toBe(true);
    expect(await page.getByText('Password saved').isVisible()).toBe(true);
    await shot(page, '05-settings');
  });

  it('keeps a log without secrets', async () => {
    const { page } = app;
    await nav(page, 'Logs').click();
    const log = page.getByRole('log');
    await log.waitFor();
    const text = (await log.textContent()) ?? '';
    expect(text).toContain('Connected to vpn.corp.test');
    expect(text).not.toContain('correct horse');
    expect(text).not.toContain('not the password');
    await shot(page, '06-logs');
  });

  it('disconnects with the big button, then offers Connect with the saved password', async () => {
    const { page } = app;
    await nav(page, 'Connection').click();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
    expect(app.engine.state().kind).toBe('disconnected');
    expect(await page.locator('.hero-label').textContent()).toBe('Disconnected');
    expect(app.notifications.map((n) => n.title)).toContain('Disconnected');
    await shot(page, '07-status-disconnected');
    // The resource list empties with the tunnel.
    await nav(page, 'Resources').click();
    await page.getByText('Connect to see the resources you may reach.').waitFor();
  });

  it('switches to French and the dark theme', async () => {
    const { page } = app;
    await nav(page, 'Settings').click();
    await page.getByLabel('Language').selectOption('fr');
    await nav(page, 'Réglages').waitFor();
    await page.getByLabel('Thème').selectOption('dark');
    await expect
      .poll(() => page.evaluate(() => document.documentElement.dataset.theme))
      .toBe('dark');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr');
    await shot(page, '08-settings-fr-dark');
    await nav(page, 'Connexion').click();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    await shot(page, '09-status-fr-dark');
  });

  it('saw no console error, page error or CSP violation', () => {
    expect(app.problems).toEqual([]);
  });
});

describe('one-time code (engine: test double)', () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp(browser, server.url, { osLocale: 'fr-FR' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('asks for the code when the gateway wants one, in the OS language', async () => {
    const { page } = app;
    await page.getByLabel('Adresse de la passerelle').fill('vpn.corp.test');
    await page.getByLabel('Nom d’utilisateur').fill('bob');
    await page.getByLabel('Mot de passe', { exact: true }).fill('bobs-password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const otp = page.getByLabel('Code à usage unique');
    await otp.waitFor();
    // Nothing failed: a notice (status), not an alert, and an amber pill, not a red one.
    const notice = page.locator('.banner-warning[role="status"]');
    expect(await notice.textContent()).toContain('code à usage unique');
    expect(await page.locator('.state-pill').getAttribute('class')).toContain('tone-warning');
    expect(await page.locator('.state-pill').textContent()).toBe('Code demandé');
    await shot(page, '10-login-otp-fr');
    await otp.fill('918273');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByText('100.64.0.2').waitFor();
    // Remember me was not ticked: nothing in the keychain.
    expect(await app.credentials.get('bob@vpn.corp.test')).toBeNull();
    expect(app.problems).toEqual([]);
  });
});
