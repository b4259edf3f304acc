// Privileged work done by the engine's own process (root, or a process holding CAP_NET_ADMIN):
// the TUN opened here, iproute2 and resolvectl run from here, crash records in stateDir.
import { openTunDevice } from '../../../native/client.js';
import { checkPrivileges } from '../netconfig/privileges.js';
import { recoverStale } from '../netconfig/recover.js';
import { NetworkSetup } from '../netconfig/setup.js';
import { AccessError, type SystemAccess, type SystemSession } from './types.js';

export class DirectAccess implements SystemAccess {
  constructor(private readonly stateDir: string) {}

  async begin(log: (level: 'info' | 'warn', message: string) => void): Promise<SystemSession> {
    const privileges = await checkPrivileges();
    if (!privileges.ok)
      throw new AccessError(
        'no-privileges',
        `${privileges.message}: the tunnel needs CAP_NET_ADMIN`,
      );
    const stateDir = this.stateDir;
    return {
      async openTun(name) {
        // A previous engine killed without cleaning up leaves its routes: revert them first.
        const recovery = await recoverStale(stateDir);
        for (const error of recovery.errors)
          log('warn', `recovering a previous session: ${error.message}`);
        return openTunDevice(name, { vnetHeader: true });
      },
      applyNetwork: (plan) =>
        new NetworkSetup({ stateDir, log: (m) => log('info', m) }).apply(plan),
      end: () => undefined,
    };
  }
}
