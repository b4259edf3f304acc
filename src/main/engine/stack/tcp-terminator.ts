// Local TCP termination on the host's own TCP stack (DESIGN §3, the "system stack"). An
// application's SYN A:p → D:q is held while the gateway opens CONNECT D:q; once the real
// target accepted, the SYN is rewritten to B:n → A:L and handed to an ordinary listener, so
// the kernel runs the TCP state machine; the listener's answers A:L → B:n are rewritten back
// to D:q → A:p. A refused CONNECT becomes a RST to the SYN (connection refused at once), an
// unreachable target an ICMP unreachable: never a hang, never "connected, then reset".
//
// An application may give up before the gateway answers (a connect timeout), and Linux tells
// nobody when a socket in SYN-SENT is closed. So a held SYN is watched (see checkHeld): the
// flow is abandoned, and its CONNECT cancelled, once the application is known to be gone.
// And a flow the gateway answered after the application left is reaped when the
// application's kernel resets the listener's SYN-ACK.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ClientHttp2Stream } from 'node:http2';
import {
  TcpHeader,
  UNREACHABLE_CODE,
  buildIcmpUnreachable,
  buildTcpReset,
  buildTcpSynProbe,
  numberToIp,
  rewriteTcpEndpoints,
  type Ipv4Header,
} from '../../../shared/packet/index.js';
import { forward } from '../../../shared/forward.js';
import type { TunnelAnswer } from '../gateway/session-client.js';
import { ResetBudget, abortStream } from '../gateway/stream-close.js';
import type { EngineCounters, PacketSink } from './counters.js';
import { NatSlots, slotListener, slotOf, slotPort } from './nat-ports.js';

/**
 * Opens the CONNECT stream for a flow (the session client, or a new one after reconnect).
 * Aborting `signal` before the answer cancels the stream, so the gateway stops connecting.
 */
export type TcpOpener = (host: string, port: number, signal: AbortSignal) => Promise<TunnelAnswer>;

/**
 * Resets an application's connection, or closes it while our FIN is on its way (end() was
 * called for the target's END_STREAM and the shutdown has not completed): libuv cannot reset a
 * socket that is shutting down, and Node's resetAndDestroy() then fails with EINVAL and never
 * closes the handle, so 'close' never comes and the process spins at exit. Seen when a gateway
 * restart cut a flow just after its END_STREAM (test/e2e/engine-reconnect.test.ts).
 */
export function resetSocket(socket: Socket): void {
  if (socket.writableEnded && !socket.writableFinished) socket.destroy();
  else socket.resetAndDestroy();
}

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
  /** The held SYN, as the application sent it (A:p → D:q). */
  syn: Buffer | null;
  synHeaderLength: number;
  /** Its sequence number: a SYN with another one is a new connection from the same port. */
  synSequence: number;
  startedAt: number;
  /** When the application last sent its SYN, and the gap before that (0: sent once so far). */
  lastSynAt: number;
  synGap: number;
  /** Cancels the CONNECT; null once the gateway answered. */
  cancel: AbortController | null;
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
/**
 * Watching a held SYN. An application waiting in connect() retransmits its SYN (Linux: after
 * 1 s, then 2, 4, 8… s apart); one that gave up falls silent. After PROBE_AFTER_MS of
 * silence the engine probes it (buildTcpSynProbe), then every PROBE_INTERVAL_MS: a socket
 * still waiting drops the probe, a closed one answers with a reset, and the flow is
 * abandoned. Probes a firewall swallows get no answer: then silence longer than
 * SILENCE_FACTOR × the last gap between two SYNs (and at least SILENCE_MIN_MS) abandons it,
 * since a waiting application would have sent its next SYN within twice that gap.
 */
const PROBE_AFTER_MS = 1_500;
const PROBE_INTERVAL_MS = 1_000;
const SILENCE_MIN_MS = 5_000;
const SILENCE_FACTOR = 2.5;
/**
 * Once the gateway answered and the SYN went to the listener, the application's kernel
 * completes the handshake at once, or resets the SYN-ACK when its socket is gone. Neither
 * within this long (the reset was lost) means the application is gone too.
 */
const ACCEPT_TIMEOUT_MS = 10_000;
/**
 * TCP keepalive on accepted connections: an application that vanished without its FIN or
 * RST reaching the engine (a packet lost at the TUN's queue) leaves an idle connection that
 * would hold its stream, and the gateway's target connection, for ever. Its kernel answers
 * the first keepalive probe with a reset.
 */
const KEEPALIVE_IDLE_MS = 60_000;

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
      // A RST means the application gave up (or answered a probe: its socket is gone).
      if (tcp.rst) return this.finish(flow, true);
      if (tcp.syn && !tcp.ack) this.onSynAgain(flow, packet, ip, tcp);
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
    // The application's kernel reset the listener's SYN-ACK: the gateway answered after the
    // application left. The reset went on to the listener (it drops its half-open connection).
    if (tcp.rst && !flow.socket && flow.state === FlowState.Open) this.reapUnaccepted(flow);
  }

  /** The application sent its SYN again while the gateway is still connecting. */
  private onSynAgain(flow: TcpFlow, packet: Buffer, ip: Ipv4Header, tcp: TcpHeader): void {
    const now = Date.now();
    if (tcp.sequence === flow.synSequence) {
      // A retransmission: the held SYN stands; the gap tells how long silence may last.
      flow.synGap = now - flow.lastSynAt;
    } else {
      // A new connection from the same port (the old socket was closed in SYN-SENT): the
      // listener must get this SYN, or its SYN-ACK would not match the application's socket.
      flow.syn = Buffer.from(packet.subarray(0, ip.totalLength));
      flow.synHeaderLength = ip.headerLength;
      flow.synSequence = tcp.sequence;
      flow.synGap = 0;
    }
    flow.lastSynAt = now;
  }

  /**
   * Runs while a SYN is held (see PROBE_AFTER_MS): probes a silent application, abandons the
   * flow when the silence has lasted too long or the CONNECT has, and comes back when the
   * next of those is due.
   */
  private checkHeld(flow: TcpFlow): void {
    if (flow.state !== FlowState.Pending || !flow.syn) return;
    const now = Date.now();
    const pendingLeft = PENDING_TIMEOUT_MS - (now - flow.startedAt);
    if (pendingLeft <= 0) return this.refuse(flow, 'unreachable');
    const silent = now - flow.lastSynAt;
    const silenceLimit = Math.max(SILENCE_MIN_MS, SILENCE_FACTOR * flow.synGap);
    // Nothing is sent to an application that left; should it still be there after all, its
    // next SYN starts a new flow.
    if (silent >= silenceLimit) return this.finish(flow, true);
    let next = PROBE_AFTER_MS - silent;
    if (next <= 0) {
      const probe = buildTcpSynProbe(flow.syn);
      if (probe) this.options.sink.send(probe);
      next = PROBE_INTERVAL_MS;
    }
    flow.timer = setTimeout(
      () => this.checkHeld(flow),
      Math.min(next, silenceLimit - silent, pendingLeft),
    );
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
    const now = Date.now();
    const cancel = new AbortController();
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
      synSequence: tcp.sequence,
      startedAt: now,
      lastSynAt: now,
      synGap: 0,
      cancel,
      stream: null,
      socket: null,
      next: this.byApp.get(key),
      timer: undefined,
    };
    this.byApp.set(key, flow);
    this.bySlot[slot] = flow;
    this.options.counters.opened('tcp');
    flow.timer = setTimeout(() => this.checkHeld(flow), PROBE_AFTER_MS);
    this.opener(numberToIp(flow.destination), flow.destinationPort, cancel.signal).then(
      (answer) => this.onAnswer(flow, answer),
      () => {
        flow.cancel = null;
        this.refuse(flow, 'unreachable');
      },
    );
  }

  private onAnswer(flow: TcpFlow, answer: TunnelAnswer): void {
    flow.cancel = null;
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
      if (flow.socket && !flow.socket.destroyed && answer.stream.rstCode) resetSocket(flow.socket);
    });
    const syn = flow.syn as Buffer;
    flow.syn = null;
    flow.timer = setTimeout(() => this.reapUnaccepted(flow), ACCEPT_TIMEOUT_MS);
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

  /** The gateway answered, but the application left before the listener accepted. */
  private reapUnaccepted(flow: TcpFlow): void {
    if (flow.state !== FlowState.Open || flow.socket) return;
    if (flow.stream) abortStream(flow.stream, this.resets);
    this.finish(flow, false);
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
    clearTimeout(flow.timer);
    if (stream.closed || stream.destroyed) {
      // The target went away between the gateway's answer and this accept: tell the
      // application the way the target did (reset, or an orderly close).
      socket.on('error', () => undefined);
      if (stream.rstCode) resetSocket(socket);
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
      if (!socket.destroyed) resetSocket(socket);
    });
    // Errors are handled on 'close' (hadError); without a listener they would throw.
    socket.on('error', () => undefined);
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
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
    // A CONNECT still unanswered is cancelled (RST_STREAM CANCEL): the gateway stops
    // connecting at once. Past the reset budget, the answer is closed when it comes.
    if (flow.cancel && this.resets.take()) flow.cancel.abort();
    flow.cancel = null;
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
