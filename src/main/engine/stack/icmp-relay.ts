// ICMP echo through one connect-ip stream (RFC 9484, ipproto 1) for the whole session: echo
// requests go up as whole IPv4 packets; what comes back (echo replies from the targets,
// "administratively prohibited" for denied ones) is written to the TUN as it is.
import type { ClientHttp2Stream } from 'node:http2';
import { Ipv4Header, parseIpv4, type IcmpHeader } from '../../../shared/packet/index.js';
import { encodeDatagramCapsule } from '../../../shared/protocol/capsule.js';
import { readDatagrams } from '../../../shared/protocol/datagram-stream.js';
import type { TunnelAnswer } from '../gateway/session-client.js';
import { endStream } from '../gateway/stream-close.js';
import type { EngineCounters, PacketSink } from './counters.js';

/** The largest capsule accepted from the gateway: an IPv4 packet or UDP payload, plus framing. */
const MAX_CAPSULE = 65_535 + 16;

export type IcmpOpener = () => { stream: ClientHttp2Stream; answer: Promise<TunnelAnswer> };

export class IcmpRelay {
  private stream: ClientHttp2Stream | undefined;
  private readonly header = new Ipv4Header();

  constructor(
    private readonly sink: PacketSink,
    private readonly counters: EngineCounters,
    public opener: IcmpOpener,
    /** The client address A: replies must be addressed to it. */
    private readonly address: number,
  ) {}

  onEchoRequest(packet: Buffer, ip: Ipv4Header, _icmp: IcmpHeader): void {
    let stream = this.stream;
    if (!stream) {
      try {
        stream = this.open();
      } catch {
        // No connection to the gateway (reconnecting): dropped, as on a link that is down.
        return this.counters.drop('icmp-no-gateway');
      }
    }
    this.counters.bytesOut += ip.totalLength;
    stream.write(encodeDatagramCapsule(packet.subarray(0, ip.totalLength)));
  }

  private open(): ClientHttp2Stream {
    const { stream, answer } = this.opener();
    this.stream = stream;
    this.counters.opened('icmp');
    answer.then((result) => {
      if (!result.ok) this.counters.drop(`icmp-refused-${result.status}`);
    });
    readDatagrams(stream, MAX_CAPSULE, {
      onDatagram: (payload) => {
        const ip = parseIpv4(payload, this.header);
        // Only well-formed ICMP for this host goes into the TUN.
        if (typeof ip === 'string' || ip.protocol !== 1 || ip.destination !== this.address) {
          this.counters.drop('icmp-bad-reply');
          return;
        }
        this.counters.bytesIn += ip.totalLength;
        this.sink.send(Buffer.from(payload.subarray(0, ip.totalLength)));
      },
      onMalformed: () => {
        this.counters.drop('icmp-bad-capsule');
        endStream(stream);
      },
    });
    const forget = () => {
      if (this.stream === stream) {
        this.stream = undefined;
        this.counters.closed('icmp');
      }
    };
    stream.on('close', forget);
    stream.on('error', forget);
    return stream;
  }

  close(): void {
    if (this.stream) endStream(this.stream);
    this.stream = undefined;
  }
}
