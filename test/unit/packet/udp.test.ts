import { describe, expect, it } from 'vitest';
import {
  MAX_UDP_PAYLOAD,
  UdpHeader,
  buildUdpPacket,
  parseIpv4,
  parseUdp,
  rewriteUdpEndpoints,
  udpPacketLength,
  writeUdpPacket,
  type Ipv4Header,
} from '../../../src/shared/packet/index.js';
import * as captures from './fixtures/captures.js';
import {
  hex,
  randomBytes,
  randomInt,
  referenceIpChecksum,
  referenceTransportChecksum,
  seededRandom,
} from './helpers.js';

const CLIENT = 0xc612fa01; // 198.18.250.1
const SERVER = 0xc612fa02; // 198.18.250.2

/** The DNS query dig sent in the capture, without its IP and UDP headers. */
const DNS_QUERY = hex(captures.dnsQuery).subarray(28);

function ipOf(packet: Buffer): Ipv4Header {
  const ip = parseIpv4(packet);
  if (typeof ip === 'string') throw new Error(`bad IPv4 test packet: ${ip}`);
  return ip;
}

function udpOf(packet: Buffer): UdpHeader {
  const udp = parseUdp(packet, ipOf(packet));
  if (typeof udp === 'string') throw new Error(`bad UDP test packet: ${udp}`);
  return udp;
}

/** Sets the UDP length and checksum fields, then fixes the IP checksum. */
function forge(packet: Buffer, udpLength: number, checksum: number): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt16BE(udpLength, 24);
  copy.writeUInt16BE(checksum, 26);
  copy.writeUInt16BE(referenceIpChecksum(copy), 10);
  return copy;
}

describe('parseUdp on real captures', () => {
  it("reads dig's query and verifies the kernel's checksum", () => {
    const packet = hex(captures.dnsQuery);
    const udp = udpOf(packet);
    expect(udp).toMatchObject({
      sourcePort: 0xd4bd,
      destinationPort: 5353,
      length: 39,
      checksum: 0x8ddd,
      payloadOffset: 28,
      payloadLength: 31,
    });
    const payload = packet.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength);
    expect(payload.includes(Buffer.from('\x03app\x04corp\x04test\x00', 'latin1'))).toBe(true);
  });

  it('reads every UDP capture, the empty datagram included', () => {
    for (const name of ['dnsQuery', 'dnsReply', 'dnsQueryToClosedPort'] as const) {
      expect(udpOf(hex(captures[name])).payloadLength, name).toBe(31);
    }
    const empty = udpOf(hex(captures.emptyUdpToClosedPort));
    expect([empty.destinationPort, empty.length, empty.payloadLength]).toEqual([7, 8, 0]);
  });

  it('reuses the header object it is given', () => {
    const reused = new UdpHeader();
    const packet = hex(captures.dnsReply);
    expect(parseUdp(packet, ipOf(packet), reused)).toBe(reused);
    expect(reused.sourcePort).toBe(5353);
  });
});

describe('parseUdp drop reasons', () => {
  it("says 'not-udp' for other protocols", () => {
    const tcp = hex(captures.synToServer);
    expect(parseUdp(tcp, ipOf(tcp))).toBe('not-udp');
  });

  it('classifies every shortening of the IP datagram, and never throws', () => {
    const full = hex(captures.dnsQuery);
    for (let length = 20; length < full.length; length++) {
      const packet = Buffer.from(full.subarray(0, length));
      packet.writeUInt16BE(length, 2);
      packet.writeUInt16BE(referenceIpChecksum(packet), 10);
      // Under 8 bytes there is no UDP header; beyond, the UDP length (39) claims too much.
      expect(parseUdp(packet, ipOf(packet)), `at ${length}`).toBe(
        length < 28 ? 'truncated' : 'bad-length',
      );
    }
  });

  it("says 'bad-length' for a UDP length under 8", () => {
    for (const length of [0, 1, 7]) {
      const packet = forge(hex(captures.dnsQuery), length, 0);
      expect(parseUdp(packet, ipOf(packet))).toBe('bad-length');
    }
  });

  it('trusts a UDP length shorter than the IP payload and ignores the rest', () => {
    // dig's query with its UDP length cut to 8 + 5 and no checksum: 5 bytes of payload.
    const packet = forge(hex(captures.dnsQuery), 13, 0);
    expect(udpOf(packet)).toMatchObject({ length: 13, payloadLength: 5 });
  });

  it("says 'bad-checksum' for any flipped bit in the datagram", () => {
    const packet = hex(captures.dnsQuery);
    for (let bit = 20 * 8; bit < packet.length * 8; bit++) {
      const bad = Buffer.from(packet);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      const result = parseUdp(bad, ipOf(bad));
      // Bits of the length field are caught by the length check.
      const expected =
        bit >= 24 * 8 && bit < 26 * 8 ? ['bad-length', 'bad-checksum'] : ['bad-checksum'];
      expect(expected, `bit ${bit}: ${String(result)}`).toContain(result);
    }
  });

  it('accepts checksum 0 as "none"', () => {
    const none = forge(hex(captures.dnsQuery), 39, 0);
    expect(udpOf(none).checksum).toBe(0);
  });
});

describe('buildUdpPacket', () => {
  it("rebuilds the kernel's packets byte for byte, given its IP id and DF", () => {
    const query = buildUdpPacket({
      source: CLIENT,
      sourcePort: 0xd4bd,
      destination: SERVER,
      destinationPort: 5353,
      payload: DNS_QUERY,
      identification: 0x3289,
      dontFragment: false,
    });
    expect(query.toString('hex')).toBe(captures.dnsQuery);

    const reply = buildUdpPacket({
      source: SERVER,
      sourcePort: 5353,
      destination: CLIENT,
      destinationPort: 0xd4bd,
      payload: DNS_QUERY,
      identification: 0xcabf,
    });
    expect(reply.toString('hex')).toBe(captures.dnsReply);

    const empty = buildUdpPacket({
      source: CLIENT,
      sourcePort: 0x869d,
      destination: SERVER,
      destinationPort: 7,
      payload: Buffer.alloc(0),
      identification: 0x6106,
    });
    expect(empty.toString('hex')).toBe(captures.emptyUdpToClosedPort);
  });

  it('defaults to DF, identification 0 and TTL 64', () => {
    const ip = ipOf(
      buildUdpPacket({
        source: 1,
        sourcePort: 2,
        destination: 3,
        destinationPort: 4,
        payload: DNS_QUERY,
      }),
    );
    expect([ip.dontFragment, ip.identification, ip.ttl, ip.tos]).toEqual([true, 0, 64, 0]);
  });

  it('sends a computed checksum of 0 as 0xffff', () => {
    // With a zero payload word the checksum is c; a payload word equal to c brings the sum
    // to all ones, i.e. a computed checksum of 0.
    const fields = { source: CLIENT, sourcePort: 1000, destination: SERVER, destinationPort: 2000 };
    const probe = buildUdpPacket({ ...fields, payload: Buffer.alloc(2) });
    const word = Buffer.alloc(2);
    word.writeUInt16BE(probe.readUInt16BE(26));
    const packet = buildUdpPacket({ ...fields, payload: word });
    expect(packet.readUInt16BE(26)).toBe(0xffff);
    expect(udpOf(packet).checksum).toBe(0xffff);
  });

  it('writes a batch into one buffer at any offset (seeded random payloads)', () => {
    const random = seededRandom(768);
    const batch = Buffer.alloc(70_000, 0xaa);
    let offset = 3;
    const payloads: Buffer[] = [];
    while (true) {
      const payload = randomBytes(random, randomInt(random, 1500));
      if (offset + udpPacketLength(payload.length) > batch.length) break;
      const written = writeUdpPacket(batch, offset, {
        source: randomInt(random, 0x1_0000_0000),
        sourcePort: randomInt(random, 0x10000),
        destination: randomInt(random, 0x1_0000_0000),
        destinationPort: randomInt(random, 0x10000),
        payload,
      });
      expect(written).toBe(udpPacketLength(payload.length));
      const packet = batch.subarray(offset, offset + written);
      const udp = udpOf(packet);
      expect(packet.subarray(udp.payloadOffset).equals(payload)).toBe(true);
      expect(udp.checksum).toBe(referenceTransportChecksum(Buffer.from(packet), 6));
      payloads.push(payload);
      offset += written;
    }
    expect(payloads.length).toBeGreaterThan(50);
    expect(batch.subarray(0, 3).toString('hex')).toBe('aaaaaa');
  });

  it('carries the largest payload and refuses a larger one', () => {
    const base = { source: 1, sourcePort: 2, destination: 3, destinationPort: 4 };
    const largest = buildUdpPacket({ ...base, payload: Buffer.alloc(MAX_UDP_PAYLOAD, 0x5a) });
    expect(largest.length).toBe(0xffff);
    expect(udpOf(largest).payloadLength).toBe(MAX_UDP_PAYLOAD);
    expect(() => buildUdpPacket({ ...base, payload: Buffer.alloc(MAX_UDP_PAYLOAD + 1) })).toThrow(
      RangeError,
    );
  });
});

describe('rewriteUdpEndpoints', () => {
  it('equals a full recomputation over many random rewrites (seeded)', () => {
    const random = seededRandom(1624);
    for (const text of [captures.dnsQuery, captures.dnsReply, captures.emptyUdpToClosedPort]) {
      const packet = hex(text);
      for (let round = 0; round < 1000; round++) {
        rewriteUdpEndpoints(
          packet,
          20,
          randomInt(random, 0x1_0000_0000),
          randomInt(random, 0x10000),
          randomInt(random, 0x1_0000_0000),
          randomInt(random, 0x10000),
        );
        expect(packet.readUInt16BE(10)).toBe(referenceIpChecksum(packet));
        expect(packet.readUInt16BE(26)).toBe(referenceTransportChecksum(packet, 6));
        expect(typeof parseUdp(packet, ipOf(packet))).toBe('object');
      }
      const original = udpOf(hex(text));
      const ip = ipOf(hex(text));
      rewriteUdpEndpoints(
        packet,
        20,
        ip.source,
        original.sourcePort,
        ip.destination,
        original.destinationPort,
      );
      expect(packet.toString('hex')).toBe(text);
    }
  });

  it('leaves a datagram without checksum without one', () => {
    const packet = forge(hex(captures.dnsQuery), 39, 0);
    rewriteUdpEndpoints(packet, 20, 1, 2, 3, 4);
    expect(packet.readUInt16BE(26)).toBe(0);
    expect(udpOf(packet)).toMatchObject({ sourcePort: 2, destinationPort: 4, checksum: 0 });
  });
});
