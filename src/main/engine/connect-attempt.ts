// One connect() under way, as disconnect() sees it: which phase it is in, the gateway
// connection it opened, and a way to stop it at any point. Cancelling never leaves anything
// behind: connect() notices (check(), race()), undoes what it did so far, and only then
// resolves `done`, which is what disconnect() waits for.
import type { ConnectPhase } from './types.js';

/** A login already sent is given this long to come back, so its session can be logged out. */
export const LOGIN_GRACE_MS = 2000;

export class Cancelled extends Error {
  constructor() {
    super('the connection was cancelled');
    this.name = 'Cancelled';
  }
}

export class ConnectAttempt {
  phase: ConnectPhase = 'resolving';
  private cancelledFlag = false;
  private client: { close(): void } | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private rejectCancelled: (err: Error) => void = () => undefined;
  private readonly cancelledSignal: Promise<never>;
  private finished: () => void = () => undefined;
  /** Settles when connect() has returned: connected, failed, or cancelled and undone. */
  readonly done: Promise<void>;

  constructor() {
    this.cancelledSignal = new Promise<never>((_, reject) => (this.rejectCancelled = reject));
    this.cancelledSignal.catch(() => undefined); // observed by race() only when it is used
    this.done = new Promise<void>((resolve) => (this.finished = resolve));
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  /** Throws Cancelled once cancel() was called. */
  check(): void {
    if (this.cancelledFlag) throw new Cancelled();
  }

  /**
   * Waits for `work` unless cancelled first. For steps whose result is worthless after a
   * cancel (a DNS lookup, a TLS handshake that close() cuts short anyway); never for a step
   * that changes the machine, which must finish so that it can be undone.
   */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.cancelledFlag) {
      work.catch(() => undefined); // its outcome no longer matters, its failure neither
      return Promise.reject(new Cancelled());
    }
    return Promise.race([work, this.cancelledSignal]);
  }

  /** The gateway connection of this attempt: a cancel while securing closes it. */
  attach(client: { close(): void }): void {
    this.client = client;
    if (this.cancelledFlag) client.close();
  }

  cancel(): void {
    if (this.cancelledFlag) return;
    this.cancelledFlag = true;
    this.rejectCancelled(new Cancelled());
    switch (this.phase) {
      case 'securing':
        // Nothing to lose: cut the handshake short.
        this.client?.close();
        break;
      case 'signing-in':
        // The gateway may already have opened a session for us: let its answer arrive
        // (briefly) so that connect() can log it out instead of leaving it to expire.
        this.graceTimer = setTimeout(() => this.client?.close(), LOGIN_GRACE_MS);
        break;
      default:
        // Signed in ('configuring'): connect() logs out over the open connection, then closes.
        break;
    }
  }

  /** Called by connect() when it returns, whatever the outcome. */
  finish(): void {
    clearTimeout(this.graceTimer);
    this.finished();
  }
}
