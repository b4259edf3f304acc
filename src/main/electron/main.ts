// The Electron shell: the only code that imports 'electron'. It builds the controller with real
// parts (engine, settings file, OS keychain, login item, clipboard, save dialog), draws the
// window, its context menu and the tray, and forwards everything else to the controller.
// Closing the window keeps the app in the tray (minimizes, or quits when idle, on desktops
// without one); Quit disconnects cleanly first.
import { BrowserWindow, Menu, app, clipboard, dialog } from 'electron';
import { writeFile } from 'node:fs/promises';
import { arch, release } from 'node:os';
import { join } from 'node:path';
import { registerHandlers } from '../../shared/ipc.js';
import { ipcSchema } from '../../shared/ipc-schema.js';
import {
  AUTOSTART_FLAG,
  LoginItemAutostart,
  XdgAutostart,
  type Autostart,
} from '../controller/autostart.js';
import { contextMenuItems } from '../controller/context-menu.js';
import { AppController } from '../controller/controller.js';
import { installKind } from '../controller/install-kind.js';
import { KeytarCredentialStore } from '../controller/keychain.js';
import { devToolsAllowed, rootRefusal } from '../controller/privilege.js';
import { SettingsStore } from '../controller/settings.js';
import { statusNotifierWatcherPresent } from '../controller/tray-detect.js';
import { trayAvailable } from '../controller/tray-state.js';
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
      if (quitting || !controller) return;
      const action = controller.windowCloseAction();
      if (action === 'quit') return void app.quit(); // before-quit disconnects first
      event.preventDefault();
      // The tunnel keeps running; the tray (or, without one, the dock) brings the window back.
      if (action === 'hide') win.hide();
      else win.minimize();
    });
    return win;
  };

  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_event, contents) => {
    lockDownWebContents(contents);
    // Right-click Copy/Paste: Electron has none of its own.
    contents.on('context-menu', (_e, params) => {
      const items = contextMenuItems(params, controller?.language() ?? 'en');
      Menu.buildFromTemplate(items).popup();
    });
  });
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

      const hasTray = trayAvailable({
        platform: process.platform,
        statusNotifierWatcher:
          process.platform === 'linux' ? await statusNotifierWatcherPresent() : null,
        currentDesktop: process.env.XDG_CURRENT_DESKTOP ?? '',
        sessionType: process.env.XDG_SESSION_TYPE ?? '',
      });
      controller = await AppController.create({
        engine: await loadEngine(),
        settings: new SettingsStore(join(app.getPath('userData'), 'settings.json')),
        credentials: new KeytarCredentialStore(),
        autostart,
        osLocale: app.getPreferredSystemLanguages()[0] ?? app.getLocale(),
        version: app.getVersion(),
        platform: process.platform,
        installKind: installKind({
          platform: process.platform,
          isPackaged: app.isPackaged,
          env: process.env,
        }),
        trayAvailable: hasTray,
        system: `${process.platform} ${release()} ${arch()}`,
        runtime: `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
        showNotification: (n) => showDesktopNotification(n, showWindow),
        hideWindow: () => window?.hide(),
        writeClipboard: (text) => clipboard.writeText(text),
        saveTextFile: async (name, content) => {
          const options = { defaultPath: join(app.getPath('documents'), name) };
          const choice = window
            ? await dialog.showSaveDialog(window, options)
            : await dialog.showSaveDialog(options);
          if (choice.canceled || !choice.filePath) return null;
          await writeFile(choice.filePath, content, { mode: 0o600 });
          return choice.filePath;
        },
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
        onAction: (action) => {
          void ctl.trayAction(action).then(
            (next) => {
              if (next === 'open-window') showWindow();
              else if (next === 'quit') app.quit();
            },
            () => showWindow(), // the window says what went wrong
          );
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
