// Which way the engine gets privileged access (see types.ts): directly when this process holds
// CAP_NET_ADMIN (root: the headless client as it always ran), through the helper service
// otherwise (the desktop app, which never holds a capability).
import { checkPrivileges } from '../netconfig/privileges.js';
import { DEFAULT_HELPER_SOCKET, HELPER_SOCKET_ENV } from '../../../shared/helper-protocol.js';
import { DirectAccess } from './direct.js';
import { HelperAccess } from './helper.js';
import type { SystemAccess, SystemSession } from './types.js';

export { AccessError, type SystemAccess, type SystemSession } from './types.js';
export { DirectAccess } from './direct.js';
export { HelperAccess } from './helper.js';
export { HelperConnection, HelperRequestError } from './helper-connection.js';

export interface AutomaticAccessOptions {
  /** Crash records when working directly. */
  stateDir: string;
  /** The helper's socket; $PASSERELLE_HELPER_SOCKET, else the installed service's. */
  helperSocket?: string;
}

/** Decides at each connect, so that installing the service needs no restart of the app. */
export function automaticAccess(options: AutomaticAccessOptions): SystemAccess {
  return {
    async begin(log): Promise<SystemSession> {
      if ((await checkPrivileges()).ok) return new DirectAccess(options.stateDir).begin(log);
      const socket =
        options.helperSocket ?? process.env[HELPER_SOCKET_ENV] ?? DEFAULT_HELPER_SOCKET;
      return new HelperAccess(socket).begin(log);
    },
  };
}
