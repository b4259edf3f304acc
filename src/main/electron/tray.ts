// Draws the tray from the controller's TrayView. On Linux the context menu is the only
// reliable interaction (clicks on StatusNotifier items are not delivered everywhere), so the
// menu is always set; elsewhere a click also opens the window.
import {
  Menu,
  Tray,
  app,
  nativeImage,
  type MenuItemConstructorOptions,
  type NativeImage,
} from 'electron';
import { join } from 'node:path';
import type {
  TrayAction,
  TrayIconName,
  TrayMenuEntry,
  TrayView,
} from '../controller/tray-state.js';

export interface TrayActions {
  onAction(action: TrayAction): void;
  onClick(): void;
}

export class AppTray {
  private readonly tray: Tray;
  private readonly icons = new Map<TrayIconName, NativeImage>();

  constructor(
    view: TrayView,
    private readonly actions: TrayActions,
  ) {
    this.tray = new Tray(this.icon(view.icon));
    if (process.platform !== 'linux') this.tray.on('click', () => actions.onClick());
    this.render(view);
  }

  render(view: TrayView): void {
    this.tray.setImage(this.icon(view.icon));
    this.tray.setToolTip(view.tooltip);
    if (process.platform === 'linux') this.tray.setTitle(''); // no text next to the icon
    this.tray.setContextMenu(Menu.buildFromTemplate(view.menu.map((e) => this.item(e))));
  }

  private item(entry: TrayMenuEntry): MenuItemConstructorOptions {
    switch (entry.kind) {
      case 'status':
        return { label: entry.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return {
          label: entry.label,
          enabled: entry.enabled,
          click: () => this.actions.onAction(entry.action),
        };
      case 'submenu':
        return {
          label: entry.label,
          submenu: entry.items.map((item) => ({
            label: item.label,
            type: 'radio',
            checked: item.checked,
            click: () => this.actions.onAction(item.action),
          })),
        };
    }
  }

  destroy(): void {
    this.tray.destroy();
  }

  // tray/<state>.png is 16 px and tray/<state>@2x.png 32 px; Electron picks by scale factor.
  private icon(name: TrayIconName): NativeImage {
    let image = this.icons.get(name);
    if (!image) {
      image = nativeImage.createFromPath(join(app.getAppPath(), 'assets', 'tray', `${name}.png`));
      this.icons.set(name, image);
    }
    return image;
  }
}
