// One client connection as the front door sees it: whether it has logged in, the deadline for
// its next request, and what its API requests without a valid session hold. HTTP/1.1 and
// HTTP/2 both report to it, so one set of rules applies whichever protocol ALPN chose:
//
// - a connection waiting for a request has `requestMs` for one to arrive whole: always over
//   HTTP/1.1 (outside CONNECT tunnels), and over HTTP/2 until it has logged in (after that,
//   liveness PINGs watch it);
// - an API request has `requestMs` from its start to arrive whole (answered 408 past it);
// - before login, at most `unauthenticatedStreams` requests at once per connection, holding at
//   most `unauthenticatedBytesPerConnection` bytes, and all connections together at most
//   `unauthenticatedBytes`.
import type { GatewayMetrics } from '../metrics.js';
import type { Admission, Ticket } from './admission.js';
import type { FrontLimits } from './limits.js';

export type BytesRefusal = 'unauthenticated-bytes-per-connection' | 'unauthenticated-bytes';

/** What every connection shares: the limits in force, the counters, the bytes held overall. */
export interface FrontDoorState {
  limits(): FrontLimits;
  readonly metrics: GatewayMetrics;
  readonly admission: Admission;
  /** Bytes held for requests without a valid session, all connections together. */
  unauthenticatedBytes: number;
  /** Updates the connection gauges after a change. */
  countConnections(): void;
}

const kClient = Symbol('passerelle.client-connection');

/** The connection a socket belongs to (the TLS socket, or the proxy HTTP/2 gives of it). */
export function clientOf(socket: object | null | undefined): ClientConnection | undefined {
  return (socket as { [kClient]?: ClientConnection } | null | undefined)?.[kClient];
}

export class ClientConnection {
  private protocol: 'h1' | 'h2' | undefined;
  private close: () => void;
  private waitTimer: NodeJS.Timeout | undefined;
  private tunnel = false;
  private closed = false;
  private readonly requests = new Set<RequestBudget>();
  private unauthenticatedRequests = 0;
  /** Bytes held for this connection's requests without a valid session. */
  bytes = 0;
  /** Since when the connection has been waiting for a request (HTTP/1.1 deadlines start here). */
  waitingSince = Date.now();

  constructor(
    readonly ticket: Ticket,
    private readonly door: FrontDoorState,
    close: () => void,
  ) {
    this.close = close;
  }

  get authenticated(): boolean {
    return this.ticket.authenticated;
  }

  /** Makes `clientOf(socket)` find this connection. */
  bind(socket: object): void {
    (socket as { [kClient]?: ClientConnection })[kClient] = this;
  }

  /** After TLS, HTTP/1.1 or HTTP/2 takes the connection over; `close` ends it. */
  start(protocol: 'h1' | 'h2', close: () => void): void {
    this.protocol = protocol;
    this.close = close;
    this.waitForRequest();
  }

  /** A valid token was shown or a login succeeded on this connection. */
  markAuthenticated(): void {
    if (this.authenticated) return;
    this.door.admission.authenticate(this.ticket);
    this.door.countConnections();
    if (this.protocol === 'h2') this.stopWaiting();
  }

  /** An HTTP/1.1 CONNECT made the connection a tunnel: its bytes are no longer requests. */
  becameTunnel(): void {
    this.tunnel = true;
    this.stopWaiting();
  }

  /**
   * An API request starts. `authenticated`: it carries a valid token (its bytes are not held
   * against the limits before login). `onDeadline` answers it when it has not arrived whole
   * in time. Refused when the connection already has as many requests without a session as
   * it may.
   */
  openRequest(
    authenticated: boolean,
    onDeadline: () => void,
  ): RequestBudget | 'unauthenticated-streams' {
    const limits = this.door.limits();
    if (!authenticated && this.unauthenticatedRequests >= limits.unauthenticatedStreams)
      return 'unauthenticated-streams';
    if (!authenticated) this.unauthenticatedRequests++;
    this.stopWaiting();
    // HTTP/1.1: the time spent sending the request head counts too.
    const startedAt = this.protocol === 'h1' ? this.waitingSince : Date.now();
    const request = new RequestBudget(this, this.door, authenticated, () => {
      this.door.metrics.requestsRefused.inc({ limit: 'request-timeout' });
      onDeadline();
    });
    request.arm(Math.max(0, startedAt + limits.requestMs - Date.now()));
    this.requests.add(request);
    return request;
  }

  /** Called by RequestBudget.finish. */
  requestFinished(request: RequestBudget): void {
    if (!this.requests.delete(request)) return;
    if (!request.authenticated) this.unauthenticatedRequests--;
    this.waitForRequest();
  }

  /** The socket closed: everything it held is given back. */
  onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWaiting();
    for (const request of [...this.requests]) request.finish();
    this.door.admission.release(this.ticket);
    this.door.countConnections();
  }

  private waitForRequest(): void {
    this.stopWaiting();
    if (this.closed || this.tunnel || this.requests.size > 0) return;
    if (this.protocol === 'h2' && this.authenticated) return;
    this.waitingSince = Date.now();
    this.waitTimer = setTimeout(() => {
      this.door.metrics.connectionsClosed.inc({ reason: 'request-timeout' });
      this.close();
    }, this.door.limits().requestMs);
    this.waitTimer.unref();
  }

  private stopWaiting(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }
}

/** One API request's deadline and the bytes it holds. */
export class RequestBudget {
  private held = 0;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly connection: ClientConnection,
    private readonly door: FrontDoorState,
    readonly authenticated: boolean,
    private readonly onDeadline: () => void,
  ) {}

  arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.finished) return;
      try {
        this.onDeadline();
      } catch (err) {
        // A timer's exception would end the process: this request's answer is lost instead.
        console.error(`gateway: answering a late request: ${(err as Error).stack ?? err}`);
      }
    }, ms);
    this.timer.unref();
  }

  /** `bytes` more of the request arrived and are to be held until it is answered. */
  take(bytes: number): 'ok' | BytesRefusal {
    if (this.authenticated || this.finished) return 'ok';
    const limits = this.door.limits();
    if (this.connection.bytes + bytes > limits.unauthenticatedBytesPerConnection)
      return 'unauthenticated-bytes-per-connection';
    if (this.door.unauthenticatedBytes + bytes > limits.unauthenticatedBytes)
      return 'unauthenticated-bytes';
    this.held += bytes;
    this.connection.bytes += bytes;
    this.door.unauthenticatedBytes += bytes;
    this.door.metrics.unauthenticatedBytes.set(this.door.unauthenticatedBytes);
    return 'ok';
  }

  /** The request arrived whole: its deadline no longer applies. */
  arrived(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Answered, refused or abandoned: its bytes are given back. Safe to call more than once. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.arrived();
    this.connection.bytes -= this.held;
    this.door.unauthenticatedBytes -= this.held;
    this.door.metrics.unauthenticatedBytes.set(this.door.unauthenticatedBytes);
    this.held = 0;
    this.connection.requestFinished(this);
  }
}
