// Traffic counters the engine reports to the CLI and the desktop app.
import type { FlowCounters } from '../types.js';

export class EngineCounters {
  bytesIn = 0;
  bytesOut = 0;
  readonly open: FlowCounters = { tcp: 0, udp: 0, icmp: 0 };
  readonly total: FlowCounters = { tcp: 0, udp: 0, icmp: 0 };
  readonly dropped: Record<string, number> = {};

  drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  opened(protocol: keyof FlowCounters): void {
    this.open[protocol]++;
    this.total[protocol]++;
  }

  closed(protocol: keyof FlowCounters): void {
    this.open[protocol]--;
  }
}

/** Where rebuilt or rewritten packets go: back into the TUN device, batched by the caller. */
export interface PacketSink {
  send(packet: Buffer): void;
}
