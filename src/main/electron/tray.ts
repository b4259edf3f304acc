// Draws the tray from the controller's TrayView. On Linux the context menu is the only
// reliable interaction (clicks on StatusNotifier items are not delivered everywhere), so the
// menu is always set; elsewhere a click also opens the window.
import { Menu, Tray, app, nativeImage, type NativeImage } from 'electron';
import { join } from 'node:path';
import type { TrayIconName, TrayMenuId, TrayView } from '../controller/tray-state.js';

export interface TrayActions {
  onMenu(id: TrayMenuId): void;
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
    const menu = Menu.buildFromTemplate(
      view.menu.map((item) => ({
        id: item.id,
        label: item.label,
        enabled: item.enabled,
        click: () => this.actions.onMenu(item.id),
      })),
    );
    this.tray.setContextMenu(menu);
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
