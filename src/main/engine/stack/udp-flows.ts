// UDP through connect-udp (RFC 9298): one stream per application flow (its source port and
// destination), opened on the first datagram and closed after the idle timeout. Datagrams are
// written before the gateway answered (the gateway holds them until it has judged the flow),
// so a DNS query costs one round trip, not two.
import type { ClientHttp2Stream } from 'node:http2';
import {
  UNREACHABLE_CODE,
  buildIcmpUnreachable,
  buildUdpPacket,
  numberToIp,
  type Ipv4Header,
  type UdpHeader,
} from '../../../shared/packet/index.js';
import { encodeDatagramCapsule } from '../../../shared/protocol/capsule.js';
import { readDatagrams } from '../../../shared/protocol/datagram-stream.js';
import type { TunnelAnswer } from '../gateway/session-client.js';
import { endStream } from '../gateway/stream-close.js';
import type { EngineCounters, PacketSink } from './counters.js';

/** The largest capsule accepted from the gateway: an IPv4 packet or UDP payload, plus framing. */
const MAX_CAPSULE = 65_535 + 16;

export type UdpOpener = (
  host: string,
  port: number,
) => { stream: ClientHttp2Stream; answer: Promise<TunnelAnswer> };

interface UdpFlow {
  key: string;
  appAddress: number;
  appPort: number;
  destination: number;
  destinationPort: number;
  stream: ClientHttp2Stream;
  /** The first datagram, kept to quote in an ICMP error if the gateway refuses the flow. */
  first: Buffer;
  idle: NodeJS.Timeout;
  closed: boolean;
}

export class UdpFlows {
  private readonly flows = new Map<string, UdpFlow>();

  constructor(
    private readonly sink: PacketSink,
    private readonly counters: EngineCounters,
    public opener: UdpOpener,
    private readonly idleMs: number,
  ) {}

  onPacket(packet: Buffer, ip: Ipv4Header, udp: UdpHeader): void {
    const key = `${ip.destination}:${udp.destinationPort}:${udp.sourcePort}`;
    let flow = this.flows.get(key);
    if (!flow) {
      try {
        flow = this.open(key, packet, ip, udp);
      } catch {
        // No connection to the gateway (reconnecting): dropped, as on a link that is down.
        return this.counters.drop('udp-no-gateway');
      }
    }
    flow.idle.refresh();
    const payload = packet.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength);
    this.counters.bytesOut += payload.length;
    flow.stream.write(encodeDatagramCapsule(payload));
  }

  private open(key: string, packet: Buffer, ip: Ipv4Header, udp: UdpHeader): UdpFlow {
    const { stream, answer } = this.opener(numberToIp(ip.destination), udp.destinationPort);
    const flow: UdpFlow = {
      key,
      appAddress: ip.source,
      appPort: udp.sourcePort,
      destination: ip.destination,
      destinationPort: udp.destinationPort,
      stream,
      first: Buffer.from(packet.subarray(0, ip.totalLength)),
      idle: setTimeout(() => this.close(flow), this.idleMs),
      closed: false,
    };
    flow.idle.unref();
    this.flows.set(key, flow);
    this.counters.opened('udp');
    answer.then((result) => {
      if (result.ok) return;
      // 407: our session ended, nothing the target did. The engine logs in again, and the
      // application's next try opens a new flow; an ICMP error would fail it for good.
      if (result.status !== 407) {
        // Refused by policy: "administratively prohibited"; otherwise the port is unreachable.
        const code =
          result.status === 403
            ? UNREACHABLE_CODE.ADMINISTRATIVELY_PROHIBITED
            : UNREACHABLE_CODE.PORT;
        const error = buildIcmpUnreachable(flow.first, flow.destination, code);
        if (error) this.sink.send(error);
      }
      this.close(flow);
    });
    readDatagrams(stream, MAX_CAPSULE, {
      onDatagram: (payload) => {
        flow.idle.refresh();
        this.counters.bytesIn += payload.length;
        this.sink.send(
          buildUdpPacket({
            source: flow.destination,
            sourcePort: flow.destinationPort,
            destination: flow.appAddress,
            destinationPort: flow.appPort,
            payload,
          }),
        );
      },
      onMalformed: () => {
        this.counters.drop('udp-bad-capsule');
        this.close(flow);
      },
    });
    stream.on('error', () => this.close(flow));
    stream.on('close', () => this.close(flow));
    return flow;
  }

  private close(flow: UdpFlow): void {
    if (flow.closed) return;
    flow.closed = true;
    clearTimeout(flow.idle);
    if (this.flows.get(flow.key) === flow) this.flows.delete(flow.key);
    this.counters.closed('udp');
    endStream(flow.stream);
  }

  closeAll(): void {
    for (const flow of [...this.flows.values()]) this.close(flow);
  }
}
