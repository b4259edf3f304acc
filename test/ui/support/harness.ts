// The UI test harness: the built renderer (dist/renderer) served from 127.0.0.1 with the app's
// CSP, in Debian's Chromium, with window.passerelle bridged to a real AppController. The bridge
// goes through the IPC schema exactly like the Electron preload does: registerHandlers() on the
// controller's side, createRendererApi() in the page.
//
// The page side (serveRenderer, openBridgedPage, launchChromium) is shared by two back ends:
// startApp() below runs the controller in this process with the engine TEST DOUBLE, and
// lab-app.ts runs it with the real engine in a child process inside the netns lab.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Engine } from '../../../src/main/engine/types.js';
import { XdgAutostart } from '../../../src/main/controller/autostart.js';
import { AppController } from '../../../src/main/controller/controller.js';
import { MemoryCredentialStore } from '../../../src/main/controller/keychain.js';
import { SettingsStore } from '../../../src/main/controller/settings.js';
import type { DesktopNotification } from '../../../src/main/controller/notifications.js';
import { RENDERER_CSP } from '../../../src/main/electron/csp.js';
import { registerHandlers, type IpcResult, type MainTransport } from '../../../src/shared/ipc.js';
import { ipcSchema } from '../../../src/shared/ipc-schema.js';
import { EngineDouble } from './engine-double.js';
import { SCENARIO } from './scenario.js';

export { SCENARIO };

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const RENDERER_DIR = join(ROOT, 'dist', 'renderer');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');

/** The engine startApp()'s controller drives: the test double (the real one: lab-app.ts). */
export const createEngine = (): Engine => new EngineDouble(SCENARIO);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function buildRenderer(): Promise<void> {
  await run(
    process.execPath,
    [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      timeout: 120_000,
    },
  );
  if (!existsSync(join(RENDERER_DIR, 'index.html')))
    throw new Error('vite build produced no index.html');
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/** Serves dist/renderer on 127.0.0.1 with the same CSP header the Electron shell sends. */
export async function serveRenderer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(RENDERER_DIR, path === '/' ? 'index.html' : path));
    if (!file.startsWith(RENDERER_DIR + sep) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': RENDERER_CSP,
      'cache-control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function pageBridgeScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(HERE, 'page-bridge.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no page bridge');
  return out.text;
}

/** What the page's window.passerelle calls: the answer of one IPC channel (an IpcResult). */
export type PageInvoke = (channel: string, request: unknown) => Promise<unknown>;

export interface BridgedPage {
  page: Page;
  /** Console errors, page errors and CSP violations seen in the page. */
  problems: string[];
  /** Delivers a main → renderer notification to the page (dropped while it navigates). */
  dispatch(channel: string, payload: unknown): void;
  close(): Promise<void>;
}

/**
 * Opens the renderer at `url` in a new context of `browser`, with window.passerelle built by
 * the page bridge over `invoke` (a Playwright binding) and notifications sent with dispatch().
 */
export async function openBridgedPage(
  browser: Browser,
  url: string,
  invoke: PageInvoke,
): Promise<BridgedPage> {
  const context = await browser.newContext({
    viewport: { width: 1000, height: 720 },
    locale: 'en-GB',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.exposeBinding('__passerelleInvoke', (_source, channel: string, request: unknown) =>
    invoke(channel, request),
  );
  await page.addInitScript({ content: await pageBridgeScript() });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  return {
    page,
    problems,
    dispatch(channel, payload) {
      page
        .evaluate(
          ([c, p]) =>
            (
              window as unknown as { __passerelleDispatch?: (c: string, p: unknown) => void }
            ).__passerelleDispatch?.(c, p),
          [channel, payload] as const,
        )
        .catch(() => undefined); // the page may be navigating or closed
    },
    close: () => context.close(),
  };
}

export interface AppUnderTest {
  controller: AppController;
  engine: Engine;
  credentials: MemoryCredentialStore;
  autostart: XdgAutostart;
  settingsPath: string;
  notifications: DesktopNotification[];
  page: Page;
  /** Console errors, page errors and CSP violations seen in the page. */
  problems: string[];
  close(): Promise<void>;
}

export async function startApp(
  browser: Browser,
  url: string,
  options: { osLocale?: string } = {},
): Promise<AppUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-ui-'));
  const engine = createEngine();
  const credentials = new MemoryCredentialStore();
  const autostart = new XdgAutostart({
    execPath: '/opt/Passerelle/passerelle-desktop',
    configHome: join(dir, 'config'),
  });
  const settingsPath = join(dir, 'settings.json');
  const notifications: DesktopNotification[] = [];
  const controller = await AppController.create({
    engine,
    settings: new SettingsStore(settingsPath),
    credentials,
    autostart,
    osLocale: options.osLocale ?? 'en-GB',
    version: '0.1.0',
    platform: 'linux',
    showNotification: (n) => notifications.push(n),
  });

  // Main side: the handlers of the schema, answered through the page's binding.
  const handlers = new Map<string, (request: unknown) => Promise<IpcResult<unknown>>>();
  // Notifications before the page exists are dropped: the page loads a snapshot first.
  const renderer: Pick<BridgedPage, 'dispatch'> = { dispatch: () => undefined };
  const transport: MainTransport = {
    handle: (channel, handler) => void handlers.set(channel, handler),
    send: (channel, payload) => renderer.dispatch(channel, payload),
  };
  controller.attachRenderer(registerHandlers(ipcSchema, transport, controller.handlers()));
  const bridged = await openBridgedPage(browser, url, async (channel, request) => {
    const handler = handlers.get(channel);
    if (!handler)
      return { type: 'error', error: { message: `no handler for ${channel}`, code: 'ipc' } };
    return handler(request);
  });
  renderer.dispatch = bridged.dispatch;
  const { page, problems } = bridged;

  return {
    controller,
    engine,
    credentials,
    autostart,
    settingsPath,
    notifications,
    page,
    problems,
    async close() {
      await controller.shutdown(2000);
      await bridged.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
