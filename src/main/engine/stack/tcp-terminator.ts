// Local TCP termination on the host's own TCP stack (DESIGN §3, the "system stack"). An
// application's SYN A:p → D:q is held while the gateway opens CONNECT D:q; once the real
// target accepted, the SYN is rewritten to B:n → A:L and handed to an ordinary listener, so
// the kernel runs the TCP state machine; the listener's answers A:L → B:n are rewritten back
// to D:q → A:p. A refused CONNECT becomes a RST to the SYN (connection refused at once), an
// unreachable target an ICMP unreachable: never a hang, never "connected, then reset".
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ClientHttp2Stream } from 'node:http2';
import {
  TcpHeader,
  UNREACHABLE_CODE,
  buildIcmpUnreachable,
  buildTcpReset,
  numberToIp,
  rewriteTcpEndpoints,
  type Ipv4Header,
} from '../../../shared/packet/index.js';
import { forward } from '../../../shared/forward.js';
import type { TunnelAnswer } from '../gateway/session-client.js';
import { ResetBudget, abortStream } from '../gateway/stream-close.js';
import type { EngineCounters, PacketSink } from './counters.js';
import { NatSlots, slotListener, slotOf, slotPort } from './nat-ports.js';

/** Opens the CONNECT stream for a flow (the session client, or a new one after reconnect). */
export type TcpOpener = (host: string, port: number) => Promise<TunnelAnswer>;

const enum FlowState {
  /** SYN held, CONNECT in flight. */
  Pending,
  /** CONNECT answered 2xx; packets are rewritten both ways. */
  Open,
  /** Both sides closed; the mapping lingers for the last ACKs, then is freed. */
  Closing,
}

interface TcpFlow {
  appAddress: number;
  appPort: number;
  destination: number;
  destinationPort: number;
  /** The (listener, NAT port) pair of this flow; see nat-ports.ts. */
  slot: number;
  natPort: number;
  listenerPort: number;
  state: FlowState;
  syn: Buffer | null;
  synHeaderLength: number;
  stream: ClientHttp2Stream | null;
  socket: Socket | null;
  /** Another flow with the same (destination, appPort) but another destination port. */
  next: TcpFlow | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** How long a closed flow's mapping stays, so FIN/ACK retransmissions still find their way. */
const LINGER_MS = 30_000;
/** A stream whose application closed but whose target still has not finished, after this, is aborted. */
const ORPHAN_STREAM_MS = 10_000;
/** A CONNECT still unanswered after this is abandoned (the gateway has its own, shorter, timeout). */
const PENDING_TIMEOUT_MS = 60_000;

export interface TcpTerminatorOptions {
  /** A: the client address, where the listener binds. */
  address: number;
  /** B: the spare address the NAT uses as the listener's peer; routed to the TUN, never assigned. */
  spareAddress: number;
  sink: PacketSink;
  counters: EngineCounters;
  open: TcpOpener;
  /** How many listeners (each multiplies the NAT pairs); 4 by default. */
  listeners?: number;
}

export class TcpTerminator {
  private readonly byApp = new Map<number, TcpFlow>();
  private readonly bySlot: (TcpFlow | undefined)[];
  private readonly slots: NatSlots;
  private readonly servers: Server[] = [];
  private listenerPorts: number[] = [];
  private readonly resets = new ResetBudget();
  opener: TcpOpener;

  constructor(private readonly options: TcpTerminatorOptions) {
    this.slots = new NatSlots(options.listeners ?? 4);
    this.bySlot = new Array(this.slots.capacity);
    this.opener = options.open;
  }

  /** Starts the listeners on A (A must be assigned to the TUN by then). */
  async listen(): Promise<void> {
    for (let index = 0; index < this.slots.listeners; index++) {
      // allowHalfOpen: an application may shut down its sending side and still read.
      const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
        this.onAccept(socket, index),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: numberToIp(this.options.address), port: 0, backlog: 4096 }, () =>
          resolve(),
        );
      });
      this.servers.push(server);
      this.listenerPorts.push((server.address() as AddressInfo).port);
    }
  }

  private key(destination: number, appPort: number): number {
    return destination * 65_536 + appPort;
  }

  private find(ip: Ipv4Header, tcp: TcpHeader): TcpFlow | undefined {
    let flow = this.byApp.get(this.key(ip.destination, tcp.sourcePort));
    while (flow && flow.destinationPort !== tcp.destinationPort) flow = flow.next;
    return flow;
  }

  /** One TCP packet read from the TUN, its IPv4 and TCP headers parsed. */
  onPacket(packet: Buffer, ip: Ipv4Header, tcp: TcpHeader): void {
    const { address, spareAddress, sink } = this.options;
    const listener =
      ip.destination === spareAddress ? this.listenerPorts.indexOf(tcp.sourcePort) : -1;
    if (listener !== -1) {
      // A listener talking to the application: A:L → B:n becomes D:q → A:p.
      const slot = slotOf(listener, tcp.destinationPort);
      const flow = slot === -1 ? undefined : this.bySlot[slot];
      if (!flow) return this.options.counters.drop('tcp-unknown-nat-port');
      rewriteTcpEndpoints(
        packet,
        ip.headerLength,
        flow.destination,
        flow.destinationPort,
        flow.appAddress,
        flow.appPort,
      );
      sink.send(packet);
      return;
    }
    let flow = this.find(ip, tcp);
    if (flow?.state === FlowState.Closing && tcp.syn && !tcp.ack) {
      // The application reuses a source port right after a close (its side has no TIME_WAIT
      // when the server closed first): a new connection, on a fresh NAT pair. The old
      // mapping lingers for the listener's last packets.
      this.unlink(flow);
      flow = undefined;
    }
    if (!flow) {
      if (tcp.syn && !tcp.ack && !tcp.rst) return this.startFlow(packet, ip, tcp);
      // A segment of a connection we do not know (say, from before a restart): reset it,
      // as a host with no such connection does, so the application does not hang.
      if (!tcp.rst) {
        const reset = buildTcpReset(packet);
        if (reset) sink.send(reset);
      }
      return this.options.counters.drop('tcp-unknown-flow');
    }
    if (flow.state === FlowState.Pending) {
      // A retransmitted SYN while the gateway is still connecting: the held one stands. A RST
      // means the application gave up: cancel the CONNECT.
      if (tcp.rst) this.finish(flow, true);
      return;
    }
    rewriteTcpEndpoints(
      packet,
      ip.headerLength,
      spareAddress,
      flow.natPort,
      address,
      flow.listenerPort,
    );
    sink.send(packet);
  }

  private startFlow(packet: Buffer, ip: Ipv4Header, tcp: TcpHeader): void {
    const slot = this.slots.take();
    if (slot === undefined) {
      this.options.counters.drop('tcp-nat-ports-exhausted');
      const reset = buildTcpReset(packet);
      if (reset) this.options.sink.send(reset);
      return;
    }
    const key = this.key(ip.destination, tcp.sourcePort);
    const flow: TcpFlow = {
      appAddress: ip.source,
      appPort: tcp.sourcePort,
      destination: ip.destination,
      destinationPort: tcp.destinationPort,
      slot,
      natPort: slotPort(slot),
      listenerPort: this.listenerPorts[slotListener(slot)] as number,
      state: FlowState.Pending,
      syn: Buffer.from(packet.subarray(0, ip.totalLength)),
      synHeaderLength: ip.headerLength,
      stream: null,
      socket: null,
      next: this.byApp.get(key),
      timer: undefined,
    };
    this.byApp.set(key, flow);
    this.bySlot[slot] = flow;
    this.options.counters.opened('tcp');
    flow.timer = setTimeout(() => this.refuse(flow, 'unreachable'), PENDING_TIMEOUT_MS);
    this.opener(numberToIp(flow.destination), flow.destinationPort).then(
      (answer) => this.onAnswer(flow, answer),
      () => this.refuse(flow, 'unreachable'),
    );
  }

  private onAnswer(flow: TcpFlow, answer: TunnelAnswer): void {
    if (flow.state !== FlowState.Pending || this.bySlot[flow.slot] !== flow) {
      // The application gave up, or the engine stopped, while the gateway was connecting.
      if (answer.ok) abortStream(answer.stream, this.resets);
      return;
    }
    if (!answer.ok) {
      // Policy or target said no: "connection refused". No route or no answer: unreachable.
      const unreachable =
        answer.error === 'destination_ip_unroutable' ||
        answer.error === 'connection_timeout' ||
        answer.error === 'dns_error' ||
        answer.status === 0;
      return this.refuse(flow, unreachable ? 'unreachable' : 'refused');
    }
    clearTimeout(flow.timer);
    flow.state = FlowState.Open;
    flow.stream = answer.stream;
    answer.stream.once('close', () => {
      // The gateway side is gone: if the application's connection is still up, reset it.
      if (flow.socket && !flow.socket.destroyed && answer.stream.rstCode)
        flow.socket.resetAndDestroy();
    });
    const syn = flow.syn as Buffer;
    flow.syn = null;
    rewriteTcpEndpoints(
      syn,
      flow.synHeaderLength,
      this.options.spareAddress,
      flow.natPort,
      this.options.address,
      flow.listenerPort,
    );
    this.options.sink.send(syn);
  }

  private refuse(flow: TcpFlow, how: 'refused' | 'unreachable'): void {
    if (flow.state !== FlowState.Pending || !flow.syn) return;
    const reply =
      how === 'refused'
        ? buildTcpReset(flow.syn)
        : buildIcmpUnreachable(flow.syn, flow.destination, UNREACHABLE_CODE.HOST);
    if (reply) this.options.sink.send(reply);
    this.finish(flow, true);
  }

  private onAccept(socket: Socket, listener: number): void {
    const slot = socket.remotePort === undefined ? -1 : slotOf(listener, socket.remotePort);
    const flow = slot === -1 ? undefined : this.bySlot[slot];
    const stream = flow?.stream;
    if (!flow || !stream || flow.state !== FlowState.Open || flow.socket) {
      socket.destroy();
      return;
    }
    flow.socket = socket;
    if (stream.closed || stream.destroyed) {
      // The target went away between the gateway's answer and this accept: tell the
      // application the way the target did (reset, or an orderly close).
      socket.on('error', () => undefined);
      if (stream.rstCode) socket.resetAndDestroy();
      else socket.end();
      this.finish(flow, false);
      return;
    }
    const counters = this.options.counters;
    let closed = 0;
    const onClosed = () => {
      if (++closed === 2) this.finish(flow, false);
    };
    const budget = this.resets;
    // A stream error is a reset from the gateway (a target's reset, RST_STREAM CONNECT_ERROR):
    // the application must see a reset too, not the FIN a plain destroy() would send.
    stream.on('error', () => {
      if (!socket.destroyed) socket.resetAndDestroy();
    });
    // Errors are handled on 'close' (hadError); without a listener they would throw.
    socket.on('error', () => undefined);
    socket.once('close', (hadError) => {
      // The application reset its connection: pass the abort on (within the reset budget).
      // A normal close already sent END_STREAM through the pipe; if the target keeps
      // talking to nobody for long, the stream is aborted then.
      if (hadError) abortStream(stream, budget);
      else if (!stream.closed)
        setTimeout(() => abortStream(stream, budget), ORPHAN_STREAM_MS).unref();
      onClosed();
    });
    stream.once('close', () => {
      if (!socket.destroyed && !socket.writableEnded) socket.end();
      onClosed();
    });
    forward(socket, stream, (bytes) => (counters.bytesOut += bytes));
    forward(stream, socket, (bytes) => (counters.bytesIn += bytes));
  }

  /** Frees the flow: at once after a refusal, after a linger once it was open. */
  private finish(flow: TcpFlow, immediately: boolean): void {
    if (flow.state === FlowState.Closing) return;
    const wasPending = flow.state === FlowState.Pending;
    flow.state = FlowState.Closing;
    clearTimeout(flow.timer);
    this.options.counters.closed('tcp');
    if (wasPending) flow.syn = null;
    const release = () => {
      this.unlink(flow);
      if (this.bySlot[flow.slot] === flow) this.bySlot[flow.slot] = undefined;
      this.slots.release(flow.slot);
    };
    if (immediately) release();
    else flow.timer = setTimeout(release, LINGER_MS);
    flow.timer?.unref?.();
  }

  private unlink(flow: TcpFlow): void {
    const key = this.key(flow.destination, flow.appPort);
    let head = this.byApp.get(key);
    if (head === flow) {
      if (flow.next) this.byApp.set(key, flow.next);
      else this.byApp.delete(key);
      return;
    }
    while (head && head.next !== flow) head = head.next;
    if (head) head.next = flow.next;
  }

  /** Ends every flow (disconnect): open connections are reset, the listener closed. */
  close(): void {
    for (const flow of this.bySlot) {
      if (!flow) continue;
      clearTimeout(flow.timer);
      flow.stream?.close();
      flow.socket?.destroy();
    }
    this.byApp.clear();
    this.bySlot.fill(undefined);
    for (const server of this.servers) server.close();
    this.servers.length = 0;
  }
}
