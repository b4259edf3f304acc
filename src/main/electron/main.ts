// The Electron shell: the only code that imports 'electron'. It builds the controller with real
// parts (engine, settings file, OS keychain, login item), draws the window and the tray, and
// forwards everything else to the controller. Closing the window keeps the app in the tray;
// Quit disconnects cleanly first.
import { BrowserWindow, app, dialog } from 'electron';
import { join } from 'node:path';
import { registerHandlers } from '../../shared/ipc.js';
import { ipcSchema } from '../../shared/ipc-schema.js';
import {
  AUTOSTART_FLAG,
  LoginItemAutostart,
  XdgAutostart,
  type Autostart,
} from '../controller/autostart.js';
import { AppController } from '../controller/controller.js';
import { KeytarCredentialStore } from '../controller/keychain.js';
import { devToolsAllowed, rootRefusal } from '../controller/privilege.js';
import { SettingsStore } from '../controller/settings.js';
import { registerAppScheme, serveRenderer } from './app-protocol.js';
import { loadEngine } from './engine-loader.js';
import { electronMainTransport } from './ipc-main.js';
import { showDesktopNotification } from './notifications.js';
import { AppTray } from './tray.js';
import { createMainWindow, hardenSession, lockDownWebContents } from './window.js';

const refusal = rootRefusal(process.getuid?.(), process.argv, process.env, app.isPackaged);
if (refusal) {
  console.error(refusal);
  dialog.showErrorBox('Passerelle', refusal);
  app.exit(1);
} else if (!app.requestSingleInstanceLock()) {
  // Another Passerelle runs: it gets our 'second-instance' and shows its window.
  app.exit(0);
} else {
  registerAppScheme();
  main();
}

function main(): void {
  let window: BrowserWindow | null = null;
  let tray: AppTray | null = null;
  let controller: AppController | null = null;
  let quitting = false;
  const devTools = devToolsAllowed(process.argv, app.isPackaged);

  const showWindow = () => {
    if (!window || window.isDestroyed()) window = openWindow(true);
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  const openWindow = (show: boolean): BrowserWindow => {
    const win = createMainWindow({ show, devTools });
    win.on('close', (event) => {
      if (!quitting) {
        event.preventDefault();
        win.hide(); // the tunnel keeps running; the tray brings the window back
      }
    });
    return win;
  };

  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents));
  // Keep running in the tray when the window is gone.
  app.on('window-all-closed', () => undefined);

  app.on('before-quit', (event) => {
    if (quitting || !controller) return;
    event.preventDefault();
    quitting = true;
    void controller.shutdown().finally(() => {
      tray?.destroy();
      app.quit();
    });
  });

  app
    .whenReady()
    .then(async () => {
      hardenSession();
      serveRenderer(join(app.getAppPath(), 'dist', 'renderer'));

      const autostart: Autostart =
        process.platform === 'linux'
          ? new XdgAutostart({
              execPath: process.env.APPIMAGE ?? process.execPath,
              args: app.isPackaged ? [] : [app.getAppPath()],
            })
          : new LoginItemAutostart({
              set: (settings) => app.setLoginItemSettings(settings),
              get: () => app.getLoginItemSettings(),
            });

      controller = await AppController.create({
        engine: await loadEngine(),
        settings: new SettingsStore(join(app.getPath('userData'), 'settings.json')),
        credentials: new KeytarCredentialStore(),
        autostart,
        osLocale: app.getPreferredSystemLanguages()[0] ?? app.getLocale(),
        version: app.getVersion(),
        platform: process.platform,
        showNotification: (n) => showDesktopNotification(n, showWindow),
        hideWindow: () => window?.hide(),
      });
      const ctl = controller;

      const notifiers = registerHandlers(
        ipcSchema,
        electronMainTransport(() => BrowserWindow.getAllWindows()),
        ctl.handlers(),
      );
      ctl.attachRenderer(notifiers);

      tray = new AppTray(ctl.trayView(), {
        onClick: showWindow,
        onMenu: (id) => {
          switch (id) {
            case 'connect':
              ctl.connect(null).catch(() => showWindow()); // the window says what is missing
              break;
            case 'disconnect':
              void ctl.disconnect().catch(() => undefined);
              break;
            case 'open':
              showWindow();
              break;
            case 'quit':
              app.quit();
              break;
          }
        },
      });
      ctl.onTrayChange((view) => tray?.render(view));

      const launchedAtLogin =
        process.argv.includes(AUTOSTART_FLAG) ||
        (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
      const { showWindow: show } = await ctl.startup({ launchedAtLogin });
      window = openWindow(show);
    })
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      console.error(`Passerelle could not start: ${message}`);
      dialog.showErrorBox('Passerelle could not start', message);
      app.exit(1);
    });
}
