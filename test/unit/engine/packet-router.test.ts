import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/shared/net/ipv4.js';
import { buildUdpPacket } from '../../../src/shared/packet/index.js';
import { EngineCounters } from '../../../src/main/engine/stack/counters.js';
import { PacketRouter, type Handlers } from '../../../src/main/engine/stack/packet-router.js';
import type { TunWriter } from '../../../src/main/engine/stack/packet-router.js';

const datagram = (sourcePort: number) =>
  buildUdpPacket({
    source: parseIPv4('100.64.0.2'),
    sourcePort,
    destination: parseIPv4('198.18.0.53'),
    destinationPort: 53,
    payload: Buffer.from('query'),
  });

describe('PacketRouter', () => {
  it('drops and counts a packet whose handler throws, and routes the next ones', () => {
    const counters = new EngineCounters();
    const seen: number[] = [];
    const handlers = {
      udp: {
        onPacket: (_packet: Buffer, _ip: unknown, udp: { sourcePort: number }) => {
          if (udp.sourcePort === 1000) throw new Error('a bug in a handler');
          seen.push(udp.sourcePort);
        },
      },
    } as unknown as Handlers;
    let flushed = 0;
    const writer = { flush: () => flushed++ } as unknown as TunWriter;
    const router = new PacketRouter(handlers, writer, counters);
    router.onPackets([datagram(999), datagram(1000), datagram(1001)]);
    expect(seen).toEqual([999, 1001]);
    expect(counters.dropped['internal-error']).toBe(1);
    expect(flushed).toBe(1);
  });
});
