// `npm run ui:preview`: the desktop window without Electron and without a gateway. The built
// renderer opens in Chromium against the real controller and the engine TEST DOUBLE, and a
// script plays a session on it: log in, traffic, a lost connection that comes back, an
// unreachable gateway, and again. The window stays usable meanwhile (click around, switch to
// French, the dark theme). Ctrl-C or closing the window ends it.
//
//   npm run ui:preview                    a Chromium window (needs a display)
//   npm run ui:preview -- --lang fr       in French
//   npm run ui:preview -- --screenshots   no window: one pass, a screenshot per step in
//                                         test-artifacts/ui-preview/ (what happens without a
//                                         display too)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import {
  DEFAULT_VIEWPORT,
  ROOT,
  buildRenderer,
  launchChromium,
  serveRenderer,
  startApp,
  type AppUnderTest,
} from './support/harness.js';
import { SCENARIO } from './support/scenario.js';

const { values } = parseArgs({
  options: {
    lang: { type: 'string', default: 'en' },
    screenshots: { type: 'boolean', default: false },
  },
});
const french = values.lang === 'fr';
const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const headless = values.screenshots || !hasDisplay;
const OUT = join(ROOT, 'test-artifacts', 'ui-preview');
const alice = SCENARIO.accounts[0] as { username: string; password: string };

function say(text: string): void {
  console.log(`[ui:preview] ${text}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let step = 0;
async function mark(page: Page, what: string): Promise<void> {
  step++;
  say(`${step}. ${what}`);
  if (!headless) return;
  const name = `${String(step).padStart(2, '0')}-${what.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  await page.screenshot({ path: join(OUT, `${name.replace(/-$/, '')}.png`), fullPage: true });
}

/** One pass of the scripted session. Errors (the user clicked something) end the pass only. */
async function play(app: AppUnderTest): Promise<void> {
  const { page, engine } = app;
  const connected = () =>
    page
      .locator('.hero-label', { hasText: french ? 'Connecté' : 'Connected' })
      .waitFor({ timeout: 20_000 });

  if (engine.state().kind === 'disconnected' && (await page.locator('form').count()) > 0) {
    await mark(page, 'Login form');
    await page
      .getByLabel(french ? 'Adresse de la passerelle' : 'Gateway address')
      .fill('vpn.corp.test');
    await page.getByLabel(french ? 'Nom d’utilisateur' : 'User name').fill(alice.username);
    await page
      .getByLabel(french ? 'Mot de passe' : 'Password', { exact: true })
      .fill(alice.password);
    // Remembered, so that the next passes connect from the Status view like a returning user.
    await page
      .getByLabel(
        french
          ? 'Mémoriser mon mot de passe dans le trousseau du système'
          : 'Remember my password in the system keychain',
      )
      .check();
    await page
      .getByRole('button', { name: french ? 'Se connecter' : 'Connect', exact: true })
      .click();
    await sleep(1200);
    await mark(page, 'Connecting phases');
  } else if (engine.state().kind !== 'connected') {
    await page
      .getByRole('button', { name: french ? 'Se connecter' : 'Connect', exact: true })
      .click();
  }
  await connected();
  await sleep(headless ? 4000 : 20_000);
  await mark(page, 'Connected with traffic');

  engine.loseConnection({
    cause: 'keepalive-lost',
    reason: 'keepalive timeout',
    failedAttempts: 2,
    retryDelayMs: 3000,
  });
  await sleep(1500);
  await mark(page, 'Connection lost reconnecting');
  await connected();
  await sleep(headless ? 1500 : 15_000);
  await mark(page, 'Back again');

  engine.loseConnection({
    cause: 'timed-out',
    reason: 'connect ETIMEDOUT',
    retryDelayMs: 3000,
    thenError: { reason: 'gateway-unreachable', cause: 'timed-out' },
  });
  await sleep(3500);
  await mark(page, 'Gateway unreachable');
  await sleep(headless ? 0 : 10_000);
}

async function main(): Promise<void> {
  if (!hasDisplay && !values.screenshots)
    say('no display ($DISPLAY, $WAYLAND_DISPLAY): one pass without a window, screenshots only');
  if (headless) mkdirSync(OUT, { recursive: true });
  say('building the renderer…');
  await buildRenderer();
  const server = await serveRenderer();
  const browser = await launchChromium({ headless });
  const app = await startApp(browser, server.url, {
    osLocale: french ? 'fr-FR' : 'en-GB',
    scenario: { phaseDelayMs: 700, statsIntervalMs: 1000 },
    viewport: DEFAULT_VIEWPORT,
  });
  await app.page.locator('.shell').waitFor();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await app.close().catch(() => undefined);
    await browser.close().catch(() => undefined);
    await server.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  browser.on('disconnected', () => void stop(0));
  say(`the window runs on ${server.url} (engine: test double; gateway ${SCENARIO.gatewayUrl})`);
  if (headless) {
    await play(app);
    say(`screenshots in ${OUT}`);
    return stop(app.problems.length ? 1 : 0);
  }
  say('a scripted session plays in a loop; use the window meanwhile. Ctrl-C to stop.');
  for (;;) {
    try {
      await play(app);
    } catch (err) {
      say(`the script paused (${(err as Error).message.split('\n')[0]}); starting over`);
      await sleep(3000);
    }
  }
}

main().catch((err: unknown) => {
  console.error(`[ui:preview] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
