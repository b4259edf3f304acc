// ICMP echo through one connect-ip stream (RFC 9484, ipproto 1) for the whole session: echo
// requests go up as whole IPv4 packets; what comes back (echo replies from the targets,
// "administratively prohibited" for denied ones) is written to the TUN as it is.
import type { ClientHttp2Stream } from 'node:http2';
import { Ipv4Header, parseIpv4, type IcmpHeader } from '../../../shared/packet/index.js';
import {
  CAPSULE_DATAGRAM,
  CapsuleError,
  CapsuleParser,
  decodeDatagram,
  encodeDatagramCapsule,
} from '../../../shared/protocol/capsule.js';
import type { TunnelAnswer } from '../gateway/session-client.js';
import { endStream } from '../gateway/stream-close.js';
import type { EngineCounters, PacketSink } from './counters.js';

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
    const stream = this.stream ?? this.open();
    this.counters.bytesOut += ip.totalLength;
    stream.write(encodeDatagramCapsule(packet.subarray(0, ip.totalLength)));
  }

  private open(): ClientHttp2Stream {
    const { stream, answer } = this.opener();
    this.stream = stream;
    this.counters.opened('icmp');
    const parser = new CapsuleParser(70_000);
    answer.then((result) => {
      if (!result.ok) this.counters.drop(`icmp-refused-${result.status}`);
    });
    stream.on('data', (chunk: Buffer) => {
      let capsules;
      try {
        capsules = parser.push(chunk);
      } catch (err) {
        if (!(err instanceof CapsuleError)) throw err;
        this.counters.drop('icmp-bad-capsule');
        stream.close();
        return;
      }
      for (const capsule of capsules) {
        if (capsule.type !== CAPSULE_DATAGRAM) continue;
        const datagram = decodeDatagram(capsule.value);
        if (!datagram || datagram.contextId !== 0) continue;
        const ip = parseIpv4(datagram.payload, this.header);
        // Only well-formed ICMP for this host goes into the TUN.
        if (typeof ip === 'string' || ip.protocol !== 1 || ip.destination !== this.address) {
          this.counters.drop('icmp-bad-reply');
          continue;
        }
        this.counters.bytesIn += ip.totalLength;
        this.sink.send(Buffer.from(datagram.payload.subarray(0, ip.totalLength)));
      }
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
