// Privileged work through the helper service: the engine runs unprivileged (the desktop app, an
// ordinary user's headless client). The helper creates the TUN device owned by our uid and we
// open it ourselves (the kernel lets a device's owner attach without a capability); addresses,
// routes and DNS are requests on the same connection.
import { openTunDevice } from '../../../native/client.js';
import type { AppliedSetup } from '../netconfig/setup.js';
import { HelperConnection } from './helper-connection.js';
import type { SystemAccess, SystemSession } from './types.js';

export class HelperAccess implements SystemAccess {
  constructor(private readonly socketPath: string) {}

  async begin(log: (level: 'info' | 'warn', message: string) => void): Promise<SystemSession> {
    const helper = await HelperConnection.open(this.socketPath);
    let ended = false;
    helper.onClose((reason) => {
      if (!ended) log('warn', `lost the privileged helper: ${reason}`);
    });
    return {
      async openTun(name) {
        await helper.request({ op: 'open-tun', name });
        // The device is ours (the helper made it for our uid): attaching needs no capability,
        // nor does asking for its virtio-net header.
        return openTunDevice(name, { vnetHeader: true });
      },
      async applyNetwork(plan): Promise<AppliedSetup> {
        const tunName = plan.tunName;
        const applied = await helper.request({ op: 'configure', plan });
        let hostRoute = applied.hostRoute;
        let undone: Promise<void> | null = null;
        return {
          tunName,
          stateFile: '(kept by the helper)',
          dnsMode: applied.dnsMode,
          get hostRoute() {
            return hostRoute;
          },
          routes: applied.routes,
          async refreshHostRoute() {
            const refreshed = await helper.request({ op: 'refresh-host-route', tunName });
            if (refreshed.result === 'replaced') hostRoute = refreshed.route;
            return refreshed;
          },
          async reapplyDns() {
            return (await helper.request({ op: 'reapply-dns', tunName })).result;
          },
          undo() {
            undone ??= helper.request({ op: 'release', tunName }).then(() => undefined);
            return undone;
          },
        };
      },
      end() {
        ended = true;
        helper.close();
      },
    };
  }
}
