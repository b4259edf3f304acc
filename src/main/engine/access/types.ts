// How the engine gets what needs privilege: its TUN device and the network set-up on it
// (addresses, routes, DNS). Two ways behind one interface: directly, when the process itself
// holds CAP_NET_ADMIN (root, the headless client as before), or through the privileged helper
// service, when it does not (the desktop app, an ordinary user). The engine does not know which.
import type { AppliedSetup, NetworkPlan } from '../netconfig/setup.js';

export interface SystemAccess {
  /**
   * Starts one tunnel's worth of privileged work, before anything else (so that a missing
   * privilege is reported before the password is sent). Throws an AccessError.
   */
  begin(log: (level: 'info' | 'warn', message: string) => void): Promise<SystemSession>;
}

export interface SystemSession {
  /**
   * Creates (or, through the helper, has created for us) and opens the TUN device, with a
   * virtio-net header (offloads): its descriptor goes to the native data plane, which closes it.
   */
  openTun(name: string): Promise<{ fd: number; name: string }>;
  /** Addresses, MTU, routes and DNS on the device; undone by the result's undo(). */
  applyNetwork(plan: NetworkPlan): Promise<AppliedSetup>;
  /** Ends the session. Through the helper this closes the connection, which undoes the rest. */
  end(): void;
}

/** Why the engine cannot get privileged access; the reason is an EngineErrorReason. */
export class AccessError extends Error {
  override readonly name = 'AccessError';
  constructor(
    readonly reason: 'no-privileges' | 'helper-missing',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
