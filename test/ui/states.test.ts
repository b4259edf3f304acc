// Every state the desktop app can be in, as a user sees it: through the real renderer and the
// real controller in Chromium, with the engine TEST DOUBLE playing the gateway (phases, causes,
// lockouts, certificates, a lost connection). Each state is photographed at the window's
// default size and at 640×480, light and dark, under test-artifacts/ui-states/, and what it
// says is asserted, in English and in French.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCredentialStore } from '../../src/main/controller/keychain.js';
import {
  buildRenderer,
  launchChromium,
  screenshots,
  serveRenderer,
  startApp,
  type AppUnderTest,
  type StartOptions,
} from './support/harness.js';
import { fakeCertificate } from './support/scenario.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'ui-states');
const ALICE = { user: 'alice', password: 'correct horse battery staple' };

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let app: AppUnderTest | undefined;

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

afterEach(async () => {
  // Every state: no console error, page error or CSP violation (the graph's SVG included).
  const problems = app?.problems ?? [];
  await app?.close();
  app = undefined;
  expect(problems).toEqual([]);
});

async function open(options: StartOptions = {}): Promise<Page> {
  app = await startApp(browser, server.url, options);
  await app.page.locator('.shell').waitFor();
  return app.page;
}
const shoot = (page: Page, name: string) => screenshots(page, ARTIFACTS, name);
const nav = (page: Page, name: string) =>
  page.getByRole('navigation').getByRole('button', { name });
const pill = (page: Page) => page.locator('.state-pill');

async function fillLogin(
  page: Page,
  { gateway = 'vpn.corp.test', user = ALICE.user, password = ALICE.password, remember = true } = {},
  fr = false,
) {
  await page.getByLabel(fr ? 'Adresse de la passerelle' : 'Gateway address').fill(gateway);
  await page.getByLabel(fr ? 'Nom d’utilisateur' : 'User name').fill(user);
  await page.getByLabel(fr ? 'Mot de passe' : 'Password', { exact: true }).fill(password);
  const box = page.getByLabel(
    fr
      ? 'Mémoriser mon mot de passe dans le trousseau du système'
      : 'Remember my password in the system keychain',
  );
  if ((await box.isChecked()) !== remember) await box.click();
}
const submit = (page: Page, fr = false) =>
  page.getByRole('button', { name: fr ? 'Se connecter' : 'Connect', exact: true }).click();

async function connectAlice(page: Page) {
  await fillLogin(page);
  await submit(page);
  await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();
}

describe('connecting: phases, cancel', () => {
  it('shows each phase as it happens, locks the form, and cancels at once', async () => {
    // Long phases: a cancel that waited for them would take seconds.
    const page = await open({ scenario: { phaseDelayMs: 4000 } });
    await fillLogin(page);
    await submit(page);
    const steps = page.getByRole('list', { name: 'Connection steps' });
    await steps.waitFor();
    expect(await steps.locator('li').allTextContents()).toEqual([
      'Looking up the gateway (in progress)',
      'Opening a secure connection (to do)',
      'Signing in (to do)',
      'Setting up the network (to do)',
    ]);
    await expect
      .poll(() => steps.locator('[aria-current="step"]').textContent(), { timeout: 10_000 })
      .toContain('Opening a secure connection');
    expect(await steps.locator('li').first().textContent()).toBe('Looking up the gateway (done)');
    // Nothing can be edited while the attempt runs.
    expect(await page.getByLabel('User name').isDisabled()).toBe(true);
    expect(await page.getByLabel('Password', { exact: true }).isDisabled()).toBe(true);
    expect(await pill(page).textContent()).toBe('Connecting…');
    await shoot(page, '01-login-connecting');

    const cancelledAt = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
    expect(Date.now() - cancelledAt).toBeLessThan(3000);
    expect(app?.engine.state().kind).toBe('disconnected');
    expect(await page.getByLabel('User name').isDisabled()).toBe(false);
    expect(await pill(page).textContent()).toBe('Disconnected');
  });

  it('shows the phases on the Status view too (French), with Cancel', async () => {
    const credentials = new MemoryCredentialStore();
    await credentials.set('alice@vpn.corp.test', ALICE.password);
    const page = await open({ osLocale: 'fr-FR', credentials, scenario: { phaseDelayMs: 1200 } });
    await fillLogin(page, {}, true);
    await submit(page, true);
    await page.locator('.hero-label', { hasText: 'Connecté' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const steps = page.getByRole('list', { name: 'Étapes de la connexion' });
    await steps.waitFor();
    // "Connexion" is the tab; the state says "Connexion en cours…".
    expect(await page.locator('.hero-label').textContent()).toBe('Connexion en cours…');
    expect(await nav(page, 'Connexion').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Annuler' }).isVisible()).toBe(true);
    await shoot(page, '02-status-connecting-fr');
    await page.getByRole('button', { name: 'Annuler' }).click();
    await page.locator('.hero-label', { hasText: 'Déconnecté' }).waitFor();
  });
});

describe('what the tunnel does', () => {
  it('says which networks and names go to the intranet (split tunnel)', async () => {
    const page = await open();
    await connectAlice(page);
    const card = page.getByRole('region', { name: 'What goes through the tunnel' });
    expect(await card.textContent()).toContain(
      'Only traffic to your organisation’s networks goes through the tunnel',
    );
    expect(await card.locator('.chip').allTextContents()).toEqual([
      '198.18.0.0/23',
      '10.20.0.0/16',
    ]);
    expect(await card.textContent()).toContain(
      'Names ending in .corp.test and .lab.corp.test are looked up by the intranet server 198.18.0.53.',
    );
  });

  it('tells a full-tunnel user that all traffic goes through the organisation', async () => {
    const page = await open({
      scenario: {
        tunnel: {
          splitTunnel: false,
          routes: ['0.0.0.0/0'],
          dns: { servers: ['198.18.0.53'], domains: ['corp.test'], scope: 'all' },
        },
      },
    });
    await connectAlice(page);
    const lead = page.locator('.tunnel-lead');
    // A profile named after its gateway names no organisation: the gateway is said instead.
    expect(await lead.textContent()).toBe(
      'All your traffic goes through the gateway vpn.corp.test.',
    );
    await app?.controller.saveProfile({
      ...app.controller.profilesSnapshot().profiles[0]!,
      name: 'Corp',
    });
    const card = page.getByRole('region', { name: 'What goes through the tunnel' });
    await expect
      .poll(() => card.locator('.tunnel-lead').textContent())
      .toBe('All your traffic goes through Corp.');
    expect(await card.textContent()).toContain('Every destination');
    expect(await card.textContent()).toContain(
      'Every name is looked up by the intranet server 198.18.0.53 first.',
    );
    await shoot(page, '03-status-full-tunnel');
  });
});

describe('traffic graph', () => {
  it('draws throughput and round trip over the last minutes, in the theme, labelled', async () => {
    // Ten times faster than real time: a minute and a half of samples in a few seconds.
    const start = Date.now();
    const page = await open({
      scenario: { statsIntervalMs: 100 },
      deps: { now: () => start + (Date.now() - start) * 10 },
    });
    await connectAlice(page);
    const graph = page.getByRole('region', { name: 'Traffic' });
    await graph.waitFor();
    await expect
      .poll(() => page.locator('.graph-line-in').getAttribute('d'), { timeout: 15_000 })
      .toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){50,}/);
    expect(await page.locator('.graph-line-out').getAttribute('d')).toMatch(
      /(L[\d.]+,[\d.]+){50,}/,
    );
    expect(await page.locator('.graph-line-rtt').getAttribute('d')).toMatch(
      /(L[\d.]+,[\d.]+){50,}/,
    );
    const label = (await page.locator('.graph-throughput').getAttribute('aria-label')) ?? '';
    expect(label).toMatch(/^Throughput: Received [\d.]+ kB\/s now \(peak [\d.]+ (kB|MB)\/s\)/);
    expect(await graph.locator('.legend').textContent()).toMatch(
      /Received [\d.]+ kB\/s.*Sent [\d.]+ kB\/s.*Round trip \d+ ms/,
    );
    expect(await graph.locator('.graph-rtt text').allTextContents()).toEqual(
      expect.arrayContaining(['now', '−5 min']),
    );
    // Drawn with the theme's colours (CSS variables), not fixed ones.
    const stroke = async () =>
      page.locator('.graph-line-in').evaluate((el) => getComputedStyle(el).stroke);
    const light = await stroke();
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await stroke()).not.toBe(light);
    await page.emulateMedia({ colorScheme: 'light' });
    // At 640 px wide the labels keep their size and the chart fits.
    await page.setViewportSize({ width: 640, height: 480 });
    await expect
      .poll(() =>
        page.locator('.graph-throughput').evaluate((el) => el.getBoundingClientRect().right),
      )
      .toBeLessThanOrEqual(640);
    expect(
      await page
        .locator('.graph-label')
        .first()
        .evaluate((el) => getComputedStyle(el).fontSize),
    ).toBe('11px');
    await page.setViewportSize({ width: 960, height: 680 });
    await shoot(page, '04-status-graph');
  }, 60_000);
});

describe('errors that say what to do', () => {
  for (const [host, cause, words] of [
    ['nowhere.corp.test', 'name-unknown', 'Its name is unknown. Check the gateway address.'],
    ['closed.corp.test', 'refused', 'It refused the connection.'],
    ['slow.corp.test', 'timed-out', 'It did not answer in time.'],
  ] as const) {
    it(`an unreachable gateway says why: ${cause}`, async () => {
      const page = await open();
      await fillLogin(page, { gateway: host });
      await submit(page);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain(`${host} cannot be reached.`);
      expect(await alert.textContent()).toContain(words);
      expect(await pill(page).textContent()).toBe('Connection failed');
      if (cause === 'name-unknown') await shoot(page, '05-login-unreachable');
    });
  }

  it('an unreachable gateway, in French', async () => {
    const page = await open({ osLocale: 'fr-FR' });
    await fillLogin(page, { gateway: 'closed.corp.test' }, true);
    await submit(page, true);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'closed.corp.test est injoignable.Elle a refusé la connexion. Le service de la passerelle est peut-être arrêté, ou le port erroné.',
    );
    expect(await pill(page).textContent()).toBe('Échec de la connexion');
    await shoot(page, '06-login-unreachable-fr');
  });

  it('a locked-out account says when to try again (Retry-After)', async () => {
    const page = await open();
    await fillLogin(page, { user: 'carol', password: 'carols-password' });
    await submit(page);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const state = app?.engine.state();
    const retryAt = state?.kind === 'error' ? (state.retryAt ?? 0) : 0;
    expect(retryAt).toBeGreaterThan(Date.now() + 13 * 60_000);
    const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' }).format(
      new Date(retryAt),
    );
    expect(await alert.textContent()).toBe(`Too many attempts. Try again at ${time}.`);
    await shoot(page, '07-login-rate-limited');
  });

  for (const [kind, words] of [
    ['deb', 'Reinstall the package (sudo apt install --reinstall passerelle)'],
    ['appimage', 'an AppImage cannot get that permission. Install the .deb package instead'],
    ['development', 'Give Electron the capability (sudo setcap cap_net_admin+ep'],
  ] as const) {
    it(`no permission for the network device: advice for the ${kind}`, async () => {
      const page = await open({ scenario: { privileged: false }, deps: { installKind: kind } });
      await fillLogin(page);
      await submit(page);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain(words);
      if (kind === 'appimage') await shoot(page, '08-login-no-privileges-appimage');
    });
  }

  it('a keychain that refuses the password: said in the window, with a way on', async () => {
    const store = new MemoryCredentialStore();
    let refuse = true;
    const credentials = {
      get: (a: string) => store.get(a),
      delete: (a: string) => store.delete(a),
      set: async (a: string, p: string) => {
        if (refuse) throw new Error('Cannot create an item in a locked collection');
        await store.set(a, p);
      },
    };
    const page = await open({ credentials });
    await fillLogin(page);
    await submit(page);
    const notice = page.getByRole('alert');
    await notice.waitFor();
    expect(await notice.textContent()).toContain(
      'You are connected, but your password could not be saved in the system keychain (Cannot create an item in a locked collection).',
    );
    expect(app?.engine.state().kind).toBe('connected');
    expect(await pill(page).textContent()).toBe('Connected');
    await shoot(page, '09-login-keychain-refused');
    // Try again, now that the keychain is unlocked: saved, and on to the Status view.
    refuse = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();
    expect(await store.get('alice@vpn.corp.test')).toBe(ALICE.password);
  });

  it('a keychain that refuses: Continue without saving goes on', async () => {
    const credentials = {
      get: async () => null,
      delete: async () => false,
      set: async () => {
        throw new Error('The name org.freedesktop.secrets was not provided');
      },
    };
    const page = await open({ osLocale: 'fr-FR', credentials });
    await fillLogin(page, {}, true);
    await submit(page, true);
    await page.getByRole('button', { name: 'Continuer sans l’enregistrer' }).click();
    await page.locator('.hero-label', { hasText: 'Connecté' }).waitFor();
  });

  it('the bad-settings banner goes once the file is written again', async () => {
    const page = await open({ settingsFile: '{ "version": 1, "profiles": "oops" }' });
    const banner = page.getByRole('alert').filter({ hasText: 'could not be used' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('settings.json could not be used (profiles:');
    await shoot(page, '10-settings-problem');
    await nav(page, 'Settings').click();
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => banner.count()).toBe(0);
  });
});

describe('certificates', () => {
  it('first use: what it is, why it is not trusted, trust and connect in one step', async () => {
    const page = await open({ scenario: { trustedBySystem: false } });
    await fillLogin(page);
    await submit(page);
    const panel = page.getByRole('alert').filter({ hasText: 'Check the gateway’s certificate' });
    await panel.waitFor();
    const text = (await panel.textContent()) ?? '';
    const cert = fakeCertificate('first');
    expect(text).toContain('It is signed by itself, not by an authority this computer trusts.');
    expect(text).toContain('Issued toCN=vpn.corp.test, O=Corp');
    expect(text).toContain('Issued byCN=Corp internal CA, O=Corp');
    expect(text).toContain('Validfrom 1 January 2030 to 1 April 2030');
    expect(await panel.locator('code.fingerprint').textContent()).toBe(cert.sha256);
    expect(text).toContain(cert.spkiSha256);
    expect(await panel.getAttribute('class')).not.toContain('banner-critical');
    // Waiting for a decision, not a failure.
    expect(await pill(page).textContent()).toBe('Check the certificate');
    await shoot(page, '11-login-certificate-untrusted');

    await page.getByRole('button', { name: 'Trust this certificate and connect' }).click();
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();
    // The public key is pinned, so that a renewal with the same key is no new question.
    expect(app?.controller.profilesSnapshot().profiles[0]?.pin).toBe(
      `spki-sha256:${cert.spkiSha256}`,
    );
    await page.getByRole('button', { name: 'Disconnect' }).click();
    app?.engine.replaceCertificate(fakeCertificate('renewed', 'first'));
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();
  });

  it('changed since trusted: distinct and loud, old and new, confirmation first', async () => {
    const page = await open({ scenario: { trustedBySystem: false } });
    await fillLogin(page);
    await submit(page);
    await page.getByRole('button', { name: 'Trust this certificate and connect' }).click();
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    const oldKey = fakeCertificate('first').spkiSha256;
    const intercepted = fakeCertificate('intercepted');
    app?.engine.replaceCertificate(intercepted);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();

    const panel = page.getByRole('alert').filter({ hasText: 'certificate has changed' });
    await panel.waitFor();
    expect(await panel.getAttribute('class')).toContain('banner-critical');
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain('This is what an interception of your connection looks like.');
    expect(text).toContain('It is not the certificate you trusted for this gateway.');
    expect(text).toContain(`Trusted until nowpublic key ${oldKey}`);
    expect(await panel.locator('code.fingerprint').textContent()).toBe(intercepted.sha256);
    expect(text).toContain(intercepted.spkiSha256);
    expect(await pill(page).textContent()).toBe('Certificate changed');
    expect(await pill(page).getAttribute('class')).toContain('tone-danger');
    const trust = page.getByRole('button', { name: 'Trust the new certificate and connect' });
    expect(await trust.isDisabled()).toBe(true);
    await shoot(page, '12-login-certificate-changed');

    await page.getByLabel(/My administrator confirmed/).check();
    await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
    await trust.click();
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();
    expect(app?.controller.profilesSnapshot().profiles[0]?.pin).toBe(
      `spki-sha256:${intercepted.spkiSha256}`,
    );
  });

  it('changed since trusted, in French', async () => {
    const credentials = new MemoryCredentialStore();
    const page = await open({
      osLocale: 'fr-FR',
      credentials,
      scenario: { trustedBySystem: false },
    });
    await fillLogin(page, {}, true);
    await submit(page, true);
    await page
      .getByRole('button', { name: 'Faire confiance à ce certificat et se connecter' })
      .click();
    await page.locator('.hero-label', { hasText: 'Connecté' }).waitFor();
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    app?.engine.replaceCertificate(fakeCertificate('intercepted'));
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const panel = page.getByRole('alert').filter({ hasText: 'a changé' });
    await panel.waitFor();
    expect(await panel.textContent()).toContain(
      'C’est ainsi que se présente une interception de votre connexion.',
    );
    expect(await pill(page).textContent()).toBe('Certificat modifié');
    await shoot(page, '13-login-certificate-changed-fr');
  });
});

describe('a lost connection', () => {
  it('says why in plain words and counts down to the next attempt, then resumes', async () => {
    const page = await open();
    await connectAlice(page);
    app?.engine.loseConnection({
      cause: 'keepalive-lost',
      reason: 'keepalive timeout',
      failedAttempts: 1,
      retryDelayMs: 4000,
    });
    const banner = page.locator('.banner-warning');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(
      /^Connection lost\. The gateway stopped answering\.Attempt 1 in [1-4] s\. Your intranet traffic waits meanwhile\.$/,
    );
    // Never the engine's raw English.
    expect(await banner.textContent()).not.toContain('keepalive timeout');
    expect(await pill(page).textContent()).toBe('Reconnecting…');
    await shoot(page, '14-status-reconnecting');
    await expect.poll(() => banner.textContent(), { timeout: 12_000 }).toContain('Attempt 2 in');
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor({ timeout: 10_000 });
  }, 30_000);

  it('in French, without a word of English', async () => {
    const page = await open({ osLocale: 'fr-FR' });
    await fillLogin(page, {}, true);
    await submit(page, true);
    await page.locator('.hero-label', { hasText: 'Connecté' }).waitFor();
    app?.engine.loseConnection({
      cause: 'refused',
      reason: 'connect ECONNREFUSED 198.19.0.1:443',
      retryDelayMs: 3000,
    });
    const banner = page.locator('.banner-warning');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    expect(text).toMatch(/^Connexion perdue\. Elle a refusé la connexion\./);
    expect(text).toMatch(/Tentative 1 dans [1-3] s\./);
    expect(text).not.toMatch(/ECONNREFUSED|Attempt/);
    await shoot(page, '15-status-reconnecting-fr');
  });
});

describe('diagnostics', () => {
  it('shows the version; copies and saves the log; copies diagnostics without secrets', async () => {
    const token = 'tK3n-abcdefghijklmnopqrstuvwxyzABCDEFGHIJ01';
    const page = await open({ scenario: { leakToken: token } });
    // bob has a one-time code: both the password and the code go through the window.
    await fillLogin(page, { user: 'bob', password: 'bobs-password' });
    await submit(page);
    await page.getByLabel('One-time code').fill('918273');
    await submit(page);
    await page.locator('.hero-label', { hasText: 'Connected' }).waitFor();

    await nav(page, 'Settings').click();
    const about = page.getByRole('group', { name: 'About' });
    expect(await about.textContent()).toBe('AboutPasserelle 0.1.0Installed from the .deb package');
    await shoot(page, '16-settings-about');

    await nav(page, 'Logs').click();
    // Scrubbed on the way into the log: the window never shows a token either.
    const log = (await page.getByRole('log').textContent()) ?? '';
    expect(log).toContain('authorization: [redacted]');
    expect(log).not.toContain(token);
    await page.getByRole('button', { name: 'Copy diagnostics' }).click();
    await page.getByText('The diagnostics are on the clipboard').waitFor();
    const diagnostics = app?.clipboard[0] ?? '';
    expect(diagnostics).toContain('Version: 0.1.0 (deb)');
    expect(diagnostics).toContain('System: linux 6.1.0-test x64');
    expect(diagnostics).toMatch(/State: connected to vpn\.corp\.test/);
    expect(diagnostics).toMatch(/Counters:\n {2}received \d+ B/);
    expect(diagnostics).toMatch(/Last problems \(\d+\):\n.*asks for a one-time code/);
    for (const secret of ['bobs-password', '918273', token])
      expect(diagnostics).not.toContain(secret);

    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText('The log is on the clipboard.').waitFor();
    expect(app?.clipboard[0]).toContain('Signing in to vpn.corp.test.');
    await page.getByRole('button', { name: 'Save…' }).click();
    await page.getByText(/^Saved to .*passerelle-log-.*\.txt\.$/).waitFor();
    const saved = app?.savedFiles[0];
    expect(readFileSync(saved?.path ?? '', 'utf8')).toBe(saved?.content);
    for (const secret of ['bobs-password', '918273', token])
      expect(saved?.content).not.toContain(secret);
    await shoot(page, '17-logs-diagnostics');
  });
});

describe('consistency', () => {
  it('one word per state; no grid of dashes; no "depuis … (depuis …)"', async () => {
    const page = await open({ osLocale: 'fr-FR' });
    // Disconnected with a profile: what it is, not a grid of dashes.
    await fillLogin(page, {}, true);
    await submit(page, true);
    await page.locator('.hero-label', { hasText: 'Connecté' }).waitFor();
    const since = page.locator('.details > div').filter({ hasText: 'Durée de connexion' });
    expect(await since.locator('dd').textContent()).toMatch(/^\d+ s \(depuis \d\d:\d\d:\d\d\)$/);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.locator('.hero-label', { hasText: 'Déconnecté' }).waitFor();
    expect(await pill(page).textContent()).toBe('Déconnecté');
    expect(await page.locator('main').textContent()).not.toContain('—');
    expect(await page.locator('.idle').textContent()).toContain('Profilvpn.corp.test');
    await shoot(page, '18-status-disconnected-fr');
    // A failed attempt: the same words in the pill and the big label.
    await page
      .getByRole('button', { name: 'Utiliser un autre compte ou une autre passerelle' })
      .click();
    await fillLogin(page, { gateway: 'closed.corp.test' }, true);
    await submit(page, true);
    await page.getByRole('alert').waitFor();
    expect(await pill(page).textContent()).toBe('Échec de la connexion');
  });

  it('the log has one line per event', async () => {
    const page = await open();
    await connectAlice(page);
    await nav(page, 'Logs').click();
    const lines = await page.locator('.log-list .message').allTextContents();
    expect(lines.filter((l) => /connected to/i.test(l))).toEqual([
      'Connected to vpn.corp.test, intranet address 100.64.0.2 (split tunnel to 198.18.0.0/23, 10.20.0.0/16).',
    ]);
    expect(lines.filter((l) => /^Connecting/.test(l))).toHaveLength(1);
  });
});

describe('desktops without a tray', () => {
  it('says that Passerelle cannot start hidden there', async () => {
    const page = await open({ deps: { trayAvailable: false } });
    await nav(page, 'Settings').click();
    const toggle = page.getByLabel('Start hidden in the tray when launched at login');
    expect(await toggle.isDisabled()).toBe(true);
    expect(await page.getByText('Your desktop shows no tray icon').textContent()).toContain(
      'closing it while connected minimizes it',
    );
    await shoot(page, '19-settings-no-tray');
  });
});

describe('in French', () => {
  it('a lockout, missing privileges, the tunnel, the graph and the version', async () => {
    const page = await open({
      osLocale: 'fr-FR',
      scenario: {
        tunnel: {
          splitTunnel: false,
          routes: ['0.0.0.0/0'],
          dns: { servers: ['198.18.0.53'], domains: ['corp.test'], scope: 'domains' },
        },
      },
      deps: { installKind: 'appimage' },
    });
    await fillLogin(page, { user: 'carol', password: 'carols-password' }, true);
    await submit(page, true);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Trop de tentatives\. Réessayez à \d\d:\d\d\.$/);

    app?.engine.setPrivileged(false);
    await fillLogin(page, {}, true);
    await submit(page, true);
    await expect
      .poll(() => alert.textContent())
      .toContain('une AppImage ne peut pas obtenir ce droit. Installez plutôt le paquet .deb');

    app?.engine.setPrivileged(true);
    await submit(page, true);
    await page.locator('.hero-label', { hasText: 'Connecté' }).waitFor();
    const card = page.getByRole('region', { name: 'Ce qui passe par le tunnel' });
    expect(await card.locator('.tunnel-lead').textContent()).toBe(
      'Tout votre trafic passe par la passerelle vpn.corp.test.',
    );
    expect(await card.textContent()).toContain('Toutes les destinations');
    expect(await card.textContent()).toContain(
      'Les noms en .corp.test sont résolus par le serveur de l’intranet 198.18.0.53.',
    );
    const graph = page.getByRole('region', { name: 'Trafic' });
    expect(await graph.textContent()).toContain('5 dernières minutes');
    expect(await graph.locator('.legend').textContent()).toMatch(/Reçu [\d,]+ k?o\/s/);
    expect(await graph.locator('.graph-rtt text').allTextContents()).toEqual(
      expect.arrayContaining(['maintenant', '−5 min']),
    );
    await shoot(page, '20-status-fr');

    await nav(page, 'Réglages').click();
    expect(await page.getByRole('group', { name: 'À propos' }).textContent()).toBe(
      'À proposPasserelle 0.1.0Lancé en AppImage',
    );
    // Not a word of the English catalogue anywhere in the window but the log's lines (the log
    // is for support, in English, and says so).
    for (const view of ['Connexion', 'Ressources', 'Réglages', 'Journal']) {
      await nav(page, view).click();
      await page.locator('.view').waitFor();
      const text = await page
        .locator('.shell')
        .evaluate((el) =>
          [...el.querySelectorAll('.sidebar, .view > :not(.log-list)')]
            .map((e) => e.textContent)
            .join(' '),
        );
      for (const english of ['Connected', 'Received', 'Settings', 'Traffic', 'Cancel', 'Profile'])
        expect(text, `${view}: ${english}`).not.toContain(english);
    }
  });
});
