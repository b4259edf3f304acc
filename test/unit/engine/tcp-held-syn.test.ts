// The watch over a held SYN (tcp-terminator.ts): an application that gave up is noticed by
// its silence and a probe, its CONNECT cancelled; one that keeps retransmitting is left to
// wait. Fake timers: the bounds documented in docs/architecture.md, to the millisecond.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  TCP_FLAGS,
  TcpHeader,
  buildTcpReset,
  parseIpv4,
  parseTcp,
  type Ipv4Header,
} from '../../../src/shared/packet/index.js';
import { EngineCounters } from '../../../src/main/engine/stack/counters.js';
import { TcpTerminator } from '../../../src/main/engine/stack/tcp-terminator.js';
import type { TunnelAnswer } from '../../../src/main/engine/gateway/session-client.js';
import * as captures from '../packet/fixtures/captures.js';
import { hex, referenceIpChecksum, referenceTransportChecksum } from '../packet/helpers.js';

const SYN = hex(captures.synToClosedPort);

function headers(packet: Buffer): { ip: Ipv4Header; tcp: TcpHeader } {
  const ip = parseIpv4(packet);
  if (typeof ip === 'string') throw new Error(ip);
  const tcp = parseTcp(packet, ip);
  if (typeof tcp === 'string') throw new Error(tcp);
  return { ip, tcp };
}

/** The application's SYN again, with another initial sequence number when given. */
function synWithSequence(sequence: number): Buffer {
  const packet = Buffer.from(SYN);
  packet.writeUInt32BE(sequence, 24);
  packet.writeUInt16BE(0, 10);
  packet.writeUInt16BE(referenceIpChecksum(packet), 10);
  packet.writeUInt16BE(0, 36);
  packet.writeUInt16BE(referenceTransportChecksum(packet, 16), 36);
  return packet;
}

describe('a held SYN', () => {
  let sent: Buffer[];
  let counters: EngineCounters;
  let signals: AbortSignal[];
  let terminator: TcpTerminator;
  const deliver = (packet: Buffer) => {
    const { ip, tcp } = headers(packet);
    terminator.onPacket(Buffer.from(packet), ip, tcp);
  };
  const probes = () =>
    sent.filter((p) => {
      const { tcp } = headers(p);
      return tcp.flags === TCP_FLAGS.ACK;
    });

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    counters = new EngineCounters();
    signals = [];
    const { ip } = headers(SYN);
    terminator = new TcpTerminator({
      address: ip.source,
      spareAddress: 0xc0000008,
      sink: { send: (p) => sent.push(p) },
      counters,
      // The gateway never answers: the target is slow.
      open: (_host, _port, signal) => {
        signals.push(signal);
        return new Promise<TunnelAnswer>(() => undefined);
      },
    });
  });
  afterEach(() => {
    terminator.close();
    vi.useRealTimers();
  });

  it('is probed after 1.5 s of silence; the reset of a gone socket abandons it and cancels the CONNECT', () => {
    deliver(SYN);
    expect(counters.open.tcp).toBe(1);
    vi.advanceTimersByTime(1_499);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(probes()).toHaveLength(1);
    const probe = headers(probes()[0] as Buffer);
    const syn = headers(SYN);
    expect([probe.ip.source, probe.ip.destination]).toEqual([syn.ip.destination, syn.ip.source]);
    expect(probe.tcp.acknowledgment).toBe(syn.tcp.sequence + 1);
    // What a host without that socket answers: RST at the probe's acknowledgment.
    deliver(buildTcpReset(probes()[0] as Buffer) as Buffer);
    expect(counters.open.tcp).toBe(0);
    expect(signals[0]?.aborted).toBe(true);
    // Nothing was sent to the application but the probe.
    expect(sent).toHaveLength(1);
  });

  it('is abandoned after 5 s of silence when probes get no answer (a firewall)', () => {
    deliver(SYN);
    vi.advanceTimersByTime(4_999);
    expect(counters.open.tcp).toBe(1);
    expect(probes().length).toBe(4); // at 1.5, 2.5, 3.5 and 4.5 s
    vi.advanceTimersByTime(1);
    expect(counters.open.tcp).toBe(0);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('waits for an application that keeps retransmitting (Linux: 1, 3, 7, 15 s)', () => {
    const start = Date.now();
    deliver(SYN);
    for (const at of [1_000, 3_000, 7_000, 15_000]) {
      vi.advanceTimersByTime(start + at - Date.now());
      expect(counters.open.tcp).toBe(1);
      deliver(SYN);
    }
    // The last gap was 8 s, so silence is allowed up to 2.5 × 8 = 20 s after the last SYN.
    vi.advanceTimersByTime(19_999);
    expect(counters.open.tcp).toBe(1);
    expect(signals[0]?.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(counters.open.tcp).toBe(0);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('holds the newest SYN when the application reuses its port for a new connection', () => {
    deliver(SYN);
    const other = synWithSequence(0x12345678);
    vi.advanceTimersByTime(500);
    deliver(other);
    vi.advanceTimersByTime(1_500);
    // The probe acknowledges the new SYN: the old socket is gone, the new one waits.
    expect(headers(probes()[0] as Buffer).tcp.acknowledgment).toBe(0x12345679);
    expect(counters.open.tcp).toBe(1);
    expect(signals).toHaveLength(1);
  });
});
