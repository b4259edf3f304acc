// Desktop notifications, worded by the controller (src/main/controller/notifications.ts).
import { Notification, app } from 'electron';
import { join } from 'node:path';
import type { DesktopNotification } from '../controller/notifications.js';

export function showDesktopNotification(n: DesktopNotification, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({
    title: n.title,
    body: n.body,
    icon: join(app.getAppPath(), 'assets', 'icons', '128x128.png'),
    urgency: n.urgent ? 'critical' : 'normal',
    silent: !n.urgent,
  });
  notification.on('click', onClick);
  notification.show();
}
