// The main window and the rules every web contents of the app lives by: sandboxed, isolated,
// no Node, nothing remote, no navigation, no new windows, no permissions.
import { BrowserWindow, app, session, type WebContents } from 'electron';
import { join } from 'node:path';
import { APP_ENTRY, APP_ORIGIN } from './app-protocol.js';
import { RENDERER_CSP } from './csp.js';

export function hardenSession(): void {
  const ses = session.defaultSession;
  // Nothing from the network, ever: the renderer is local and talks only through IPC.
  ses.webRequest.onBeforeRequest(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] },
    (_details, cb) => cb({ cancel: true }),
  );
  ses.webRequest.onHeadersReceived((details, cb) => {
    cb({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] },
    });
  });
  ses.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  ses.setPermissionCheckHandler(() => false);
}

/** Applied to every web contents the app ever creates. */
export function lockDownWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function createMainWindow(options: { show: boolean; devTools: boolean }): BrowserWindow {
  const win = new BrowserWindow({
    width: 960,
    height: 680,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Passerelle',
    icon: join(app.getAppPath(), 'assets', 'icons', '256x256.png'),
    autoHideMenuBar: true,
    webPreferences: {
      preload: join(app.getAppPath(), 'dist', 'main', 'electron', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: options.devTools,
    },
  });
  win.removeMenu();
  if (options.show) win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}
