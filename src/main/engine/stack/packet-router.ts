// The engine's packet loop: batches read from the TUN are parsed once and handed to TCP
// termination, UDP flows or the ICMP relay; whatever those send back is collected and
// written to the TUN in one batch. Malformed or unsupported packets are dropped and counted.
import type { TunDevice } from '../../../native/index.js';
import {
  ICMP_TYPE,
  IP_PROTOCOL,
  IcmpHeader,
  Ipv4Header,
  TcpHeader,
  UdpHeader,
  parseIcmp,
  parseIpv4,
  parseTcp,
  parseUdp,
} from '../../../shared/packet/index.js';
import type { EngineCounters, PacketSink } from './counters.js';
import type { IcmpRelay } from './icmp-relay.js';
import type { TcpTerminator } from './tcp-terminator.js';
import type { UdpFlows } from './udp-flows.js';

export class TunWriter implements PacketSink {
  private pending: Buffer[] = [];
  private scheduled = false;

  constructor(
    private readonly tun: TunDevice,
    private readonly counters: EngineCounters,
  ) {}

  send(packet: Buffer): void {
    this.pending.push(packet);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    let written = 0;
    try {
      written = this.tun.writeMany(batch);
    } catch {
      // The device went away (disconnect in progress): nothing more can be delivered.
    }
    for (let i = written; i < batch.length; i++) this.counters.drop('tun-write-failed');
  }
}

export interface Handlers {
  tcp: TcpTerminator;
  udp: UdpFlows;
  icmp: IcmpRelay;
}

export class PacketRouter {
  private readonly ip = new Ipv4Header();
  private readonly tcp = new TcpHeader();
  private readonly udp = new UdpHeader();
  private readonly icmp = new IcmpHeader();

  constructor(
    private readonly handlers: Handlers,
    private readonly writer: TunWriter,
    private readonly counters: EngineCounters,
  ) {}

  onPackets(packets: Buffer[]): void {
    for (const packet of packets) {
      try {
        this.route(packet);
      } catch {
        // A handler's bug must cost one packet, not the whole tunnel: this runs in the TUN's
        // read callback, where an exception would end the process. Counted, so it shows.
        this.counters.drop('internal-error');
      }
    }
    this.writer.flush();
  }

  private route(packet: Buffer): void {
    const ip = parseIpv4(packet, this.ip);
    if (typeof ip === 'string') return this.counters.drop(`ip-${ip}`);
    // Multicast and broadcast have no single target a gateway could connect to.
    if (ip.destination >>> 28 === 0xe || ip.destination === 0xffffffff) {
      return this.counters.drop('ip-multicast-or-broadcast');
    }
    switch (ip.protocol) {
      case IP_PROTOCOL.TCP: {
        const tcp = parseTcp(packet, ip, this.tcp);
        if (typeof tcp === 'string') return this.counters.drop(`tcp-${tcp}`);
        return this.handlers.tcp.onPacket(packet, ip, tcp);
      }
      case IP_PROTOCOL.UDP: {
        const udp = parseUdp(packet, ip, this.udp);
        if (typeof udp === 'string') return this.counters.drop(`udp-${udp}`);
        return this.handlers.udp.onPacket(packet, ip, udp);
      }
      case IP_PROTOCOL.ICMP: {
        const icmp = parseIcmp(packet, ip, this.icmp);
        if (typeof icmp === 'string') return this.counters.drop(`icmp-${icmp}`);
        if (icmp.type !== ICMP_TYPE.ECHO_REQUEST)
          return this.counters.drop('icmp-not-echo-request');
        return this.handlers.icmp.onEchoRequest(packet, ip, icmp);
      }
      default:
        return this.counters.drop('ip-unsupported-protocol');
    }
  }
}
