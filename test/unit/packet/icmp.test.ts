import { describe, expect, it } from 'vitest';
import {
  ICMP_TYPE,
  IcmpHeader,
  MAX_ICMP_ECHO_PAYLOAD,
  UNREACHABLE_CODE,
  buildIcmpEcho,
  buildIcmpUnreachable,
  buildTcpReset,
  icmpEchoPacketLength,
  parseIcmp,
  parseIpv4,
  parseTcp,
  parseUdp,
  rewriteIcmpEchoIdentifier,
  writeIcmpEcho,
  type Ipv4Header,
} from '../../../src/shared/packet/index.js';
import * as captures from './fixtures/captures.js';
import {
  hex,
  randomInt,
  referenceIcmpChecksum,
  referenceIpChecksum,
  seededRandom,
} from './helpers.js';

const CLIENT = 0xc612fa01; // 198.18.250.1
const SERVER = 0xc612fa02; // 198.18.250.2

function ipOf(packet: Buffer): Ipv4Header {
  const ip = parseIpv4(packet);
  if (typeof ip === 'string') throw new Error(`bad IPv4 test packet: ${ip}`);
  return ip;
}

function icmpOf(packet: Buffer): IcmpHeader {
  const icmp = parseIcmp(packet, ipOf(packet));
  if (typeof icmp === 'string') throw new Error(`bad ICMP test packet: ${icmp}`);
  return icmp;
}

function payloadOf(packet: Buffer, icmp: IcmpHeader): Buffer {
  return packet.subarray(icmp.payloadOffset, icmp.payloadOffset + icmp.payloadLength);
}

describe('parseIcmp on real captures', () => {
  it("reads ping's echo request and the kernel's reply", () => {
    const request = hex(captures.echoRequest);
    expect(icmpOf(request)).toMatchObject({
      type: ICMP_TYPE.ECHO_REQUEST,
      code: 0,
      checksum: 0xae35,
      identifier: 0x1e18,
      sequence: 1,
      payloadOffset: 28,
      payloadLength: 56,
      isEcho: true,
    });
    const reply = hex(captures.echoReply);
    const parsed = icmpOf(reply);
    expect([parsed.type, parsed.identifier, parsed.sequence]).toEqual([0, 0x1e18, 1]);
    expect(payloadOf(reply, parsed).equals(payloadOf(request, icmpOf(request)))).toBe(true);
  });

  it('reads odd-length echo data (7 bytes)', () => {
    const packet = hex(captures.echoRequestOdd);
    const icmp = icmpOf(packet);
    expect(payloadOf(packet, icmp).toString('hex')).toBe('00010203040506');
  });

  it("reads the kernel's port unreachable and the packet it quotes", () => {
    const packet = hex(captures.portUnreachableForDns);
    const icmp = icmpOf(packet);
    expect([icmp.type, icmp.code, icmp.isEcho]).toEqual([3, UNREACHABLE_CODE.PORT, false]);
    expect(payloadOf(packet, icmp).toString('hex')).toBe(captures.dnsQueryToClosedPort);
  });

  it('reuses the header object it is given', () => {
    const reused = new IcmpHeader();
    const packet = hex(captures.echoReplyOdd);
    expect(parseIcmp(packet, ipOf(packet), reused)).toBe(reused);
    expect(reused.identifier).toBe(0x1e19);
  });
});

describe('parseIcmp drop reasons', () => {
  it("says 'not-icmp' for other protocols", () => {
    const udp = hex(captures.dnsQuery);
    expect(parseIcmp(udp, ipOf(udp))).toBe('not-icmp');
  });

  it('classifies every shortening of the IP datagram, and never throws', () => {
    const full = hex(captures.echoRequestOdd);
    for (let length = 20; length < full.length; length++) {
      const packet = Buffer.from(full.subarray(0, length));
      packet.writeUInt16BE(length, 2);
      packet.writeUInt16BE(referenceIpChecksum(packet), 10);
      expect(parseIcmp(packet, ipOf(packet)), `at ${length}`).toBe(
        length < 28 ? 'truncated' : 'bad-checksum',
      );
    }
  });

  it("says 'bad-checksum' for any flipped bit of the message", () => {
    const packet = hex(captures.echoRequest);
    for (let bit = 20 * 8; bit < packet.length * 8; bit++) {
      const bad = Buffer.from(packet);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      expect(parseIcmp(bad, ipOf(bad)), `bit ${bit}`).toBe('bad-checksum');
    }
  });
});

describe('buildIcmpEcho', () => {
  const request = hex(captures.echoRequest);
  const data = request.subarray(28);

  it("rebuilds ping's request and the kernel's reply byte for byte, given IP id and DF", () => {
    const builtRequest = buildIcmpEcho({
      type: ICMP_TYPE.ECHO_REQUEST,
      source: CLIENT,
      destination: SERVER,
      identifier: 0x1e18,
      sequence: 1,
      payload: data,
      identification: 0x381a,
    });
    expect(builtRequest.toString('hex')).toBe(captures.echoRequest);

    const builtReply = buildIcmpEcho({
      type: ICMP_TYPE.ECHO_REPLY,
      source: SERVER,
      destination: CLIENT,
      identifier: 0x1e18,
      sequence: 1,
      payload: data,
      identification: 0xb098,
      dontFragment: false, // Linux sends its echo replies without DF
    });
    expect(builtReply.toString('hex')).toBe(captures.echoReply);
  });

  it('rebuilds the odd-length reply byte for byte', () => {
    const reply = buildIcmpEcho({
      type: ICMP_TYPE.ECHO_REPLY,
      source: SERVER,
      destination: CLIENT,
      identifier: 0x1e19,
      sequence: 1,
      payload: hex('00010203040506'),
      identification: 0xb099,
      dontFragment: false,
    });
    expect(reply.toString('hex')).toBe(captures.echoReplyOdd);
  });

  it('writes into a larger buffer at an offset, and bounds the payload', () => {
    const out = Buffer.alloc(200, 0xaa);
    const written = writeIcmpEcho(out, 7, {
      type: ICMP_TYPE.ECHO_REQUEST,
      source: CLIENT,
      destination: SERVER,
      identifier: 0x1e18,
      sequence: 1,
      payload: data,
      identification: 0x381a,
    });
    expect(written).toBe(icmpEchoPacketLength(56));
    expect(out.subarray(7, 7 + written).toString('hex')).toBe(captures.echoRequest);
    expect(out.readUInt8(7 + written)).toBe(0xaa);
    const fields = { type: 8, source: 1, destination: 2, identifier: 3, sequence: 4 } as const;
    expect(buildIcmpEcho({ ...fields, payload: Buffer.alloc(MAX_ICMP_ECHO_PAYLOAD) }).length).toBe(
      0xffff,
    );
    expect(() =>
      buildIcmpEcho({ ...fields, payload: Buffer.alloc(MAX_ICMP_ECHO_PAYLOAD + 1) }),
    ).toThrow(RangeError);
  });
});

describe('rewriteIcmpEchoIdentifier', () => {
  it('equals a full recomputation over many random identifiers (seeded)', () => {
    const random = seededRandom(792);
    for (const text of [captures.echoRequest, captures.echoReply, captures.echoReplyOdd]) {
      const packet = hex(text);
      const original = icmpOf(packet).identifier;
      for (let round = 0; round < 2000; round++) {
        const identifier = randomInt(random, 0x10000);
        rewriteIcmpEchoIdentifier(packet, 20, identifier);
        expect(packet.readUInt16BE(22)).toBe(referenceIcmpChecksum(packet));
        expect(icmpOf(packet).identifier).toBe(identifier);
      }
      rewriteIcmpEchoIdentifier(packet, 20, original);
      expect(packet.toString('hex')).toBe(text);
    }
  });
});

describe('buildIcmpUnreachable', () => {
  it("equals the kernel's port unreachable for an empty datagram, byte for byte", () => {
    // Header + 8 bytes is the whole of an empty UDP datagram, so RFC 792's quote and Linux's
    // "as much as fits" coincide. Linux uses a random IP id and no DF on ICMP errors.
    const built = buildIcmpUnreachable(
      hex(captures.emptyUdpToClosedPort),
      SERVER,
      UNREACHABLE_CODE.PORT,
      { identification: 0xb124, dontFragment: false },
    );
    expect(built?.toString('hex')).toBe(captures.portUnreachableForEmptyUdp);
  });

  it('quotes the IP header and first 8 bytes where the kernel quotes more', () => {
    const offending = hex(captures.dnsQueryToClosedPort);
    const built = buildIcmpUnreachable(offending, SERVER, UNREACHABLE_CODE.PORT);
    if (built === null) throw new Error('no unreachable');
    const kernel = hex(captures.portUnreachableForDns);
    expect(built.length).toBe(20 + 8 + 28);
    expect(built.subarray(20, 22).equals(kernel.subarray(20, 22))).toBe(true); // type, code
    expect(built.subarray(24).equals(kernel.subarray(24, 24 + 32))).toBe(true); // unused + quote
    const ip = ipOf(built);
    expect([ip.source, ip.destination, ip.tos, ip.ttl]).toEqual([SERVER, CLIENT, 0xc0, 64]);
    expect(icmpOf(built).checksum).toBe(referenceIcmpChecksum(built));
    // The quote is the offending IP header and UDP header: it names the flow, so the
    // sender's stack finds the socket.
    expect(built.subarray(28).equals(offending.subarray(0, 28))).toBe(true);
  });

  it('refuses a SYN with each of the codes the engine uses, quoting its sequence number', () => {
    const syn = hex(captures.synToServer);
    for (const code of [0, 1, 3, 10, 13]) {
      const built = buildIcmpUnreachable(syn, SERVER, code);
      if (built === null) throw new Error('no unreachable');
      const icmp = icmpOf(built);
      expect([icmp.type, icmp.code]).toEqual([3, code]);
      // The quote: the 20-byte IP header and 8 bytes of TCP (ports and sequence number).
      expect(payloadOf(built, icmp).equals(syn.subarray(0, 28))).toBe(true);
    }
  });

  it('quotes options and a short payload whole', () => {
    const base = hex(captures.echoRequest);
    const withOptions = Buffer.concat([
      base.subarray(0, 20),
      hex('01010100'),
      base.subarray(20, 26),
    ]);
    withOptions[0] = 0x46;
    withOptions.writeUInt16BE(30, 2);
    withOptions.writeUInt16BE(referenceIpChecksum(withOptions), 10);
    const built = buildIcmpUnreachable(withOptions, SERVER, UNREACHABLE_CODE.HOST);
    if (built === null) throw new Error('no unreachable');
    expect(payloadOf(built, icmpOf(built)).equals(withOptions)).toBe(true);
  });

  it('sends nothing about ICMP errors, broadcasts, multicasts or broken packets (RFC 1122)', () => {
    expect(buildIcmpUnreachable(hex(captures.portUnreachableForDns), CLIENT, 1)).toBeNull();
    const forged = (offset: number, address: number) => {
      const copy = hex(captures.dnsQueryToClosedPort);
      copy.writeUInt32BE(address, offset);
      copy.writeUInt16BE(referenceIpChecksum(copy), 10);
      return copy;
    };
    expect(buildIcmpUnreachable(forged(12, 0), SERVER, 3)).toBeNull();
    expect(buildIcmpUnreachable(forged(12, 0xe0000001), SERVER, 3)).toBeNull();
    expect(buildIcmpUnreachable(forged(16, 0xe00000fb), SERVER, 3)).toBeNull();
    expect(buildIcmpUnreachable(forged(16, 0xffffffff), SERVER, 3)).toBeNull();
    const offending = hex(captures.dnsQueryToClosedPort);
    for (let length = 0; length < offending.length; length++) {
      expect(buildIcmpUnreachable(offending.subarray(0, length), SERVER, 3)).toBeNull();
    }
    // Echo requests are queries, not errors: they may be answered with an unreachable.
    expect(buildIcmpUnreachable(hex(captures.echoRequest), SERVER, 13)).not.toBeNull();
  });
});

describe('every layer on every truncation and corruption', () => {
  it('never throws, whatever the bytes (seeded)', () => {
    const random = seededRandom(1122);
    const all = Object.values(captures).map(hex);
    for (const original of all) {
      for (let length = 0; length <= original.length; length++) {
        for (let round = 0; round < 8; round++) {
          const packet = Buffer.from(original.subarray(0, length));
          if (round > 0 && length > 0) packet[randomInt(random, length)] = randomInt(random, 256);
          if (round % 2 === 1 && length >= 20) {
            packet.writeUInt16BE(Math.min(length, packet.readUInt16BE(2)), 2);
            packet.writeUInt16BE(referenceIpChecksum(packet), 10);
          }
          expect(() => {
            const header = parseIpv4(packet);
            if (typeof header === 'string') return;
            parseTcp(packet, header);
            parseUdp(packet, header);
            parseIcmp(packet, header);
            buildTcpReset(packet);
            buildIcmpUnreachable(packet, SERVER, 3);
          }).not.toThrow();
        }
      }
    }
  });
});
