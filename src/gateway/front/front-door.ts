// The front door: every TCP connection to the tunnel port passes here before TLS. It is
// admitted or closed at once (caps on connections, admission.ts), must finish its TLS
// handshake within `handshakeMs`, and is then handed to HTTP/1.1 or HTTP/2 with its
// ClientConnection, which keeps the deadlines and budgets for requests.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { GatewayMetrics } from '../metrics.js';
import { Admission, sourceOf, type AdmissionLimits } from './admission.js';
import { ClientConnection, type FrontDoorState } from './client-connection.js';
import type { FrontLimits } from './limits.js';

function admissionLimits(limits: FrontLimits): AdmissionLimits {
  return {
    connections: limits.connections,
    connectionsPerSource: limits.connectionsPerSource,
    unauthenticatedConnections: limits.unauthenticatedConnections,
    unauthenticatedConnectionsPerSource: limits.unauthenticatedConnectionsPerSource,
  };
}

/** A TCP connection's own key while TLS wraps it: the TLS socket reports the same pair. */
function endpointKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

export class FrontDoor implements FrontDoorState {
  readonly admission: Admission;
  unauthenticatedBytes = 0;
  /** Connections whose TLS handshake is under way, by endpoint. */
  private readonly handshaking = new Map<
    string,
    { client: ClientConnection; socket: Socket; deadline: NodeJS.Timeout }
  >();

  constructor(
    readonly limits: () => FrontLimits,
    readonly metrics: GatewayMetrics,
  ) {
    this.admission = new Admission(admissionLimits(limits()));
    this.countConnections();
  }

  /** After a reload: new caps for new connections. */
  reconfigure(): void {
    this.admission.reconfigure(admissionLimits(this.limits()));
  }

  countConnections(): void {
    const all = this.admission.size;
    const before = this.admission.unauthenticatedSize;
    this.metrics.connections.set({ state: 'unauthenticated' }, before);
    this.metrics.connections.set({ state: 'authenticated' }, all - before);
  }

  /**
   * A TCP connection arrived. Admitted, it is given to `startTls` with a deadline for the
   * handshake; refused, it is closed at once (nothing can be said before TLS).
   */
  accept(socket: Socket, startTls: (socket: Socket) => void): void {
    socket.on('error', () => undefined);
    const ticket = this.admission.admit(sourceOf(socket.remoteAddress), () => {
      this.metrics.connectionsClosed.inc({ reason: 'evicted' });
      socket.destroy();
    });
    if (typeof ticket === 'string') {
      this.metrics.connectionsRefused.inc({ limit: ticket });
      socket.destroy();
      return;
    }
    const client = new ClientConnection(ticket, this, () => socket.destroy());
    const key = endpointKey(socket);
    const deadline = setTimeout(() => {
      this.metrics.connectionsClosed.inc({ reason: 'handshake-timeout' });
      socket.destroy();
    }, this.limits().handshakeMs);
    deadline.unref();
    this.handshaking.set(key, { client, socket, deadline });
    socket.once('close', () => {
      clearTimeout(deadline);
      if (this.handshaking.get(key)?.client === client) this.handshaking.delete(key);
      client.onSocketClose();
    });
    this.countConnections();
    startTls(socket);
  }

  /** The TLS handshake of a connection finished: its ClientConnection, bound to the socket. */
  secured(socket: TLSSocket): ClientConnection | undefined {
    const key = endpointKey(socket);
    const entry = this.handshaking.get(key);
    if (!entry) return undefined;
    clearTimeout(entry.deadline);
    this.handshaking.delete(key);
    entry.client.bind(socket);
    return entry.client;
  }

  /** Closes every connection still in its handshake (shutdown). */
  closeHandshaking(): void {
    for (const { socket } of this.handshaking.values()) socket.destroy();
  }
}
