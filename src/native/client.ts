// TypeScript face of the client's native data plane (src/native/client/, DESIGN §3–4). The
// data plane is a native thread that owns the TUN device, the NAT table, the local listeners,
// the UDP and ICMP flows, and the TLS + HTTP/2 connection to the gateway: bytes never enter
// JavaScript. This wrapper turns its batched events into promises and callbacks, and reads its
// shared counters.
import { closeSync } from 'node:fs';
import { loadAddon } from './load.js';

export interface LibraryReport {
  /** OpenSSL_version() as the addon calls it. */
  openssl: string;
  /** nghttp2_version(0) as the addon calls it. */
  nghttp2: string;
  /** Function name → the shared object its address (as bound in the addon) lies in. */
  bindings: Record<string, string>;
}

/** The TUN side, given once the session's addresses are known and assigned to the device. */
export interface TunAttachOptions {
  /** An open TUN device; the data plane owns (and closes) it from this call on. */
  tunFd: number;
  /** Ask for checksum offload and TSO when the device has a virtio-net header (default true). */
  offloads?: boolean;
  /** A, the client address (IPv4 as a number), where the local listeners bind. */
  address: number;
  /** B, the NAT's peer address, routed to the TUN, never assigned. */
  spareAddress: number;
  /** Local listeners (each multiplies the NAT pairs); 4 by default. */
  listeners?: number;
  udpIdleMs?: number;
  /** Packets read per batch; 64 by default. */
  tunBatch?: number;
}

/** One connection to the gateway. */
export interface LinkOptions {
  /** The gateway's IPv4 address as a number (resolved once). */
  address: number;
  port: number;
  /** SNI; empty for an address. */
  serverName: string;
  /** SHA-256 of the leaf certificate TypeScript verified: the only one accepted. */
  pin: Buffer;
  /** :authority of API requests and extended CONNECTs ("host:port"). */
  authority: string;
  streamWindow?: number;
  connectionWindow?: number;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** TCP_NOTSENT_LOWAT on the connection (0: not set). */
  notsentLowat?: number;
  /** Bytes encrypted per write pass before waiting for the socket. */
  writeBudget?: number;
  /** Bytes a datagram stream may queue before it drops. */
  datagramQueue?: number;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Why the connection to the gateway failed or ended, as the data plane classifies it
 * (src/native/client/link_failure.h). `certificate-changed`: the TLS peer was not the pinned
 * certificate, and trust must be decided again.
 */
export type LinkFailure =
  | 'refused'
  | 'timed-out'
  | 'network-unreachable'
  | 'connection-reset'
  | 'tls-failed'
  | 'certificate-changed'
  | 'keepalive-lost'
  | 'gateway-closed'
  | 'other';

/** The connection to the gateway failed or ended. */
export class LinkDownError extends Error {
  constructor(
    readonly reason: string,
    readonly failure: LinkFailure,
  ) {
    super(reason);
    this.name = 'LinkDownError';
  }

  /** The TLS peer was not the pinned certificate: trust must be decided again. */
  get certificateChanged(): boolean {
    return this.failure === 'certificate-changed';
  }
}

export interface DataPlaneHandlers {
  /** The connection went down while up (not during connect(), which rejects instead). */
  onLinkDown(reason: string, failure: LinkFailure): void;
  /** A tunnel met 407: renew the session, then setToken() or renewalFailed(). */
  onAuthRequired(): void;
  /** The TUN device stopped for good (deleted by another program). */
  onTunError(message: string): void;
}

type NativeEvent =
  | { type: 'link-up' }
  | { type: 'link-down'; reason: string; failure: LinkFailure }
  | { type: 'auth-required' }
  | {
      type: 'response';
      id: number;
      status: number;
      headers: Record<string, string>;
      body: Buffer;
      error?: string;
    }
  | { type: 'tun-attached'; error?: string }
  | { type: 'tun-error'; message: string }
  | { type: 'log'; message: string };

interface NativeDataPlane {
  attachTun(options: TunAttachOptions): void;
  connect(options: LinkOptions): void;
  disconnect(reason?: string): void;
  setToken(token: string): void;
  renewalFailed(): void;
  request(
    id: number,
    method: string,
    path: string,
    headers: [string, string][],
    body: string,
  ): void;
  setUdpIdle(ms: number): void;
  closeFlows(): void;
  stats(): Record<string, number>;
  info(): { tun?: string; listenerPorts?: number[] };
  close(): void;
}

interface ClientBinding {
  libraries(): LibraryReport;
  openTun(name: string, vnetHeader: boolean): { fd: number; name: string };
  ClientDataPlane: new (
    onEvents: (events: NativeEvent[], dropped: number) => void,
  ) => NativeDataPlane;
}

function binding(): ClientBinding {
  return loadAddon<ClientBinding>('passerelle_client');
}

/** Which OpenSSL and nghttp2 the data plane's calls reach (test/unit/native/binding.test.ts). */
export function nativeLibraries(): LibraryReport {
  return binding().libraries();
}

/**
 * Opens (creating) the TUN device `name` and returns its file descriptor: the privileged step
 * (CAP_NET_ADMIN), for whoever holds the privilege. With `vnetHeader` the device carries a
 * virtio-net header, which lets the data plane use checksum offload and TSO.
 */
export function openTunDevice(
  name: string,
  options: { vnetHeader: boolean },
): {
  fd: number;
  name: string;
} {
  return binding().openTun(name, options.vnetHeader);
}

/** The counters that are not drops, with the latency-… ones (see src/native/client/stats.h). */
const FIGURES = new Set([
  'bytes-in',
  'bytes-out',
  'tcp-open',
  'udp-open',
  'icmp-open',
  'tcp-total',
  'udp-total',
  'icmp-total',
  'rtt-us',
  'tun-packets-in',
  'tun-packets-out',
]);

export interface DataPlaneStats {
  figures: Record<string, number>;
  /** Drops by reason, only those that happened. */
  dropped: Record<string, number>;
}

export class ClientDataPlane {
  readonly #native: NativeDataPlane;
  readonly #responses = new Map<
    number,
    { resolve: (r: ApiResponse) => void; reject: (e: Error) => void }
  >();
  #nextRequest = 1;
  #connecting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #attaching: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #closed = false;

  constructor(private readonly handlers: DataPlaneHandlers) {
    this.#native = new (binding().ClientDataPlane)((events) => this.#onEvents(events));
  }

  #onEvents(events: NativeEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'link-up': {
          const pending = this.#connecting;
          this.#connecting = undefined;
          pending?.resolve();
          break;
        }
        case 'link-down': {
          const pending = this.#connecting;
          this.#connecting = undefined;
          if (pending) pending.reject(new LinkDownError(event.reason, event.failure));
          else if (!this.#closed) this.handlers.onLinkDown(event.reason, event.failure);
          break;
        }
        case 'auth-required':
          if (!this.#closed) this.handlers.onAuthRequired();
          break;
        case 'response': {
          const pending = this.#responses.get(event.id);
          this.#responses.delete(event.id);
          if (!pending) break;
          if (event.error !== undefined) pending.reject(new Error(event.error));
          else pending.resolve({ status: event.status, headers: event.headers, body: event.body });
          break;
        }
        case 'tun-attached': {
          const pending = this.#attaching;
          this.#attaching = undefined;
          if (event.error !== undefined) pending?.reject(new Error(event.error));
          else pending?.resolve();
          break;
        }
        case 'tun-error':
          if (!this.#closed) this.handlers.onTunError(event.message);
          break;
        case 'log':
          break;
      }
    }
  }

  /** Connects to the gateway: resolves when TLS and HTTP/2 are up, rejects with LinkDownError. */
  connect(options: LinkOptions): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the data plane closed'));
    if (this.#connecting) return Promise.reject(new Error('a connection is already being made'));
    return new Promise((resolve, reject) => {
      this.#connecting = { resolve, reject };
      this.#native.connect(options);
    });
  }

  /** Closes the connection to the gateway (the data plane stays). Nothing once closed. */
  disconnect(reason?: string): void {
    if (!this.#closed) this.#native.disconnect(reason);
  }

  /** Takes the TUN device (closed here if the data plane is); resolves once its listeners are open. */
  attachTun(options: TunAttachOptions): Promise<void> {
    if (this.#closed) {
      closeSync(options.tunFd);
      return Promise.reject(new Error('the data plane closed'));
    }
    return new Promise((resolve, reject) => {
      this.#attaching = { resolve, reject };
      this.#native.attachTun(options);
    });
  }

  /** Tunnels open with this token from now on; flows waiting after a 407 go through. */
  setToken(token: string): void {
    this.#native.setToken(token);
  }

  /** The session could not be renewed: the flows waiting after a 407 are refused. */
  renewalFailed(): void {
    if (!this.#closed) this.#native.renewalFailed();
  }

  /** An HTTP request on the gateway connection (the JSON API). */
  request(
    method: string,
    path: string,
    headers: [string, string][],
    body = '',
  ): Promise<ApiResponse> {
    if (this.#closed) return Promise.reject(new Error('the data plane closed'));
    const id = this.#nextRequest++;
    return new Promise((resolve, reject) => {
      this.#responses.set(id, { resolve, reject });
      this.#native.request(id, method, path, headers, body);
    });
  }

  setUdpIdle(ms: number): void {
    if (!this.#closed) this.#native.setUdpIdle(ms);
  }

  /** Ends every flow now (nothing once closed: close() ended them). */
  closeFlows(): void {
    if (!this.#closed) this.#native.closeFlows();
  }

  stats(): DataPlaneStats {
    const all = this.#native.stats();
    const figures: Record<string, number> = {};
    const dropped: Record<string, number> = {};
    for (const [name, value] of Object.entries(all)) {
      if (FIGURES.has(name) || name.startsWith('latency-')) figures[name] = value;
      else if (value > 0) dropped[name] = value;
    }
    return { figures, dropped };
  }

  info(): { tun?: string; listenerPorts?: number[] } {
    return this.#native.info();
  }

  /** Stops the thread, ends every flow, closes the connection and the TUN device. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
    const error = new Error('the data plane closed');
    this.#connecting?.reject(error);
    this.#attaching?.reject(error);
    for (const pending of this.#responses.values()) pending.reject(error);
    this.#responses.clear();
  }
}
