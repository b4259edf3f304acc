// The UI test harness: the built renderer (dist/renderer) served from 127.0.0.1 with the app's
// CSP, in Debian's Chromium, with window.passerelle bridged to a real AppController. The bridge
// goes through the IPC schema exactly like the Electron preload does: registerHandlers() on the
// controller's side, createRendererApi() in the page.
//
// The page side (serveRenderer, openBridgedPage, launchChromium) is shared by two back ends:
// startApp() below runs the controller in this process with the engine TEST DOUBLE, and
// lab-app.ts runs it with the real engine in a child process inside the netns lab.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { XdgAutostart } from '../../../src/main/controller/autostart.js';
import { AppController, type ControllerDeps } from '../../../src/main/controller/controller.js';
import {
  MemoryCredentialStore,
  type CredentialStore,
} from '../../../src/main/controller/keychain.js';
import { SettingsStore } from '../../../src/main/controller/settings.js';
import type { DesktopNotification } from '../../../src/main/controller/notifications.js';
import { RENDERER_CSP } from '../../../src/main/electron/csp.js';
import { registerHandlers, type IpcResult, type MainTransport } from '../../../src/shared/ipc.js';
import { ipcSchema } from '../../../src/shared/ipc-schema.js';
import { EngineDouble, type EngineDoubleScenario } from './engine-double.js';
import { SCENARIO, scenario } from './scenario.js';

export { SCENARIO };

const run = promisify(execFile);
/**
 * The package root: the nearest folder up with a package.json, so that this file also works
 * bundled elsewhere under the repository (`npm run ui:preview` runs it from a bundle).
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = packageRoot(fileURLToPath(new URL('.', import.meta.url)));
const SUPPORT = join(ROOT, 'test', 'ui', 'support');
const RENDERER_DIR = join(ROOT, 'dist', 'renderer');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');

/** The engine startApp()'s controller drives: the test double (the real one: lab-app.ts). */
export const createEngine = (overrides: Partial<EngineDoubleScenario> = {}): EngineDouble =>
  new EngineDouble({ ...scenario(), ...overrides });

/** The Electron window's default size (window.ts), and the smallest it allows. */
export const DEFAULT_VIEWPORT = { width: 960, height: 680 };
export const SMALL_VIEWPORT = { width: 640, height: 480 };

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
    entryPoints: [join(SUPPORT, 'page-bridge.ts')],
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
  options: { viewport?: { width: number; height: number } } = {},
): Promise<BridgedPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1000, height: 720 },
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
  engine: EngineDouble;
  credentials: CredentialStore;
  autostart: XdgAutostart;
  settingsPath: string;
  notifications: DesktopNotification[];
  /** What the app put on the clipboard, last first. */
  clipboard: string[];
  /** Files the app saved (the save dialog answers a path in the test's folder). */
  savedFiles: { path: string; content: string }[];
  page: Page;
  /** Console errors, page errors and CSP violations seen in the page. */
  problems: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  osLocale?: string;
  /** Changes to the engine double's scenario. */
  scenario?: Partial<EngineDoubleScenario>;
  credentials?: CredentialStore;
  /** Written as settings.json before the app starts (e.g. a broken file). */
  settingsFile?: string;
  /** Controller dependencies to override (install kind, tray, clock…). */
  deps?: Partial<ControllerDeps>;
  viewport?: { width: number; height: number };
}

export async function startApp(
  browser: Browser,
  url: string,
  options: StartOptions = {},
): Promise<AppUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-ui-'));
  const engine = createEngine(options.scenario);
  const credentials = options.credentials ?? new MemoryCredentialStore();
  const autostart = new XdgAutostart({
    execPath: '/opt/Passerelle/passerelle-desktop',
    configHome: join(dir, 'config'),
  });
  const settingsPath = join(dir, 'settings.json');
  if (options.settingsFile !== undefined) writeFileSync(settingsPath, options.settingsFile);
  const notifications: DesktopNotification[] = [];
  const clipboard: string[] = [];
  const savedFiles: { path: string; content: string }[] = [];
  const controller = await AppController.create({
    engine,
    settings: new SettingsStore(settingsPath),
    credentials,
    autostart,
    osLocale: options.osLocale ?? 'en-GB',
    version: '0.1.0',
    platform: 'linux',
    installKind: 'deb',
    system: 'linux 6.1.0-test x64',
    runtime: 'Electron (test harness: Chromium and Node)',
    showNotification: (n) => notifications.push(n),
    writeClipboard: (text) => void clipboard.unshift(text),
    saveTextFile: async (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      savedFiles.push({ path, content });
      return path;
    },
    ...options.deps,
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
  const bridged = await openBridgedPage(
    browser,
    url,
    async (channel, request) => {
      const handler = handlers.get(channel);
      if (!handler)
        return { type: 'error', error: { message: `no handler for ${channel}`, code: 'ipc' } };
      return handler(request);
    },
    { viewport: options.viewport ?? DEFAULT_VIEWPORT },
  );
  renderer.dispatch = bridged.dispatch;
  const { page, problems } = bridged;

  return {
    controller,
    engine,
    credentials,
    autostart,
    settingsPath,
    notifications,
    clipboard,
    savedFiles,
    page,
    problems,
    async close() {
      await controller.shutdown(2000);
      await bridged.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium; `headless: false` opens a window (`npm run ui:preview`). */
export function launchChromium(options: { headless?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: options.headless ?? true,
  });
}

/**
 * Screenshots of the page as it is, at the window's default size and at its smallest, in the
 * light and the dark theme ("system" theme, the OS preference emulated): four files named
 * `<name>-<960|640>-<light|dark>.png`. The page is left at the default size, light.
 */
export async function screenshots(page: Page, dir: string, name: string): Promise<void> {
  for (const viewport of [DEFAULT_VIEWPORT, SMALL_VIEWPORT]) {
    await page.setViewportSize(viewport);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      // Let the graph measure its new width and redraw.
      await page.evaluate(
        () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
      );
      await page.screenshot({
        path: join(dir, `${name}-${viewport.width}-${colorScheme}.png`),
        fullPage: true,
      });
    }
  }
  await page.setViewportSize(DEFAULT_VIEWPORT);
  await page.emulateMedia({ colorScheme: 'light' });
}
