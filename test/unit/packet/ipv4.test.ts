import { describe, expect, it } from 'vitest';
import {
  IP_PROTOCOL,
  Ipv4Header,
  ipToNumber,
  numberToIp,
  parseIpv4,
  rewriteIpv4Addresses,
  writeIpv4Header,
} from '../../../src/shared/packet/index.js';
import * as captures from './fixtures/captures.js';
import { hex, randomBytes, randomInt, referenceIpChecksum, seededRandom } from './helpers.js';

const CLIENT = 0xc612fa01; // 198.18.250.1, the capture's client namespace
const SERVER = 0xc612fa02; // 198.18.250.2, the capture's server namespace

function header(packet: Buffer): Ipv4Header {
  const parsed = parseIpv4(packet);
  if (typeof parsed === 'string') throw new Error(`expected a valid header, got ${parsed}`);
  return parsed;
}

/** Sets a header byte and fixes the checksum, so only the intended check can fail. */
function withByte(packet: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(packet);
  copy[offset] = value;
  copy.writeUInt16BE(referenceIpChecksum(copy), 10);
  return copy;
}

describe('parseIpv4 on real captures', () => {
  it('reads every field of the kernel echo request', () => {
    const ip = header(hex(captures.echoRequest));
    expect(ip).toMatchObject({
      headerLength: 20,
      tos: 0,
      totalLength: 84,
      identification: 0x381a,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IP_PROTOCOL.ICMP,
      headerChecksum: 0x8265,
      source: CLIENT,
      destination: SERVER,
    });
    expect(ip.payloadOffset).toBe(20);
    expect(ip.payloadLength).toBe(64);
  });

  it('reads the kernel port unreachable (TOS 0xc0, no DF)', () => {
    const ip = header(hex(captures.portUnreachableForEmptyUdp));
    expect(ip.tos).toBe(0xc0);
    expect(ip.dontFragment).toBe(false);
    expect(ip.source).toBe(SERVER);
    expect(ip.destination).toBe(CLIENT);
  });

  it('accepts every capture and names its protocol', () => {
    for (const [name, text] of Object.entries(captures)) {
      const packet = hex(text);
      const ip = header(packet);
      expect(ip.totalLength, name).toBe(packet.length);
      expect([1, 6, 17], name).toContain(ip.protocol);
    }
  });

  it('fills a reused header object without allocating a new one', () => {
    const reused = new Ipv4Header();
    expect(parseIpv4(hex(captures.dnsQuery), reused)).toBe(reused);
    expect(reused.protocol).toBe(IP_PROTOCOL.UDP);
    expect(parseIpv4(hex(captures.synToServer), reused)).toBe(reused);
    expect(reused.protocol).toBe(IP_PROTOCOL.TCP);
  });

  it('ignores bytes after the total length (link padding)', () => {
    const padded = Buffer.concat([hex(captures.emptyUdpToClosedPort), Buffer.alloc(18)]);
    expect(header(padded).totalLength).toBe(28);
  });
});

describe('parseIpv4 drop reasons', () => {
  it("says 'truncated' for every truncation of every capture, and never throws", () => {
    for (const [name, text] of Object.entries(captures)) {
      const packet = hex(text);
      for (let length = 0; length < packet.length; length++) {
        expect(parseIpv4(packet.subarray(0, length)), `${name} cut at ${length}`).toBe('truncated');
      }
    }
  });

  it("says 'not-ipv4' for IPv6 and other versions", () => {
    const ipv6 = hex('6000000000083a40' + 'fe80'.padEnd(32, '0') + 'ff02'.padEnd(32, '0'));
    expect(parseIpv4(ipv6)).toBe('not-ipv4');
    expect(parseIpv4(hex('60'))).toBe('not-ipv4');
    expect(parseIpv4(withByte(hex(captures.echoRequest), 0, 0x55))).toBe('not-ipv4');
  });

  it("says 'bad-header-length' for an IHL below 5", () => {
    for (const ihl of [0, 1, 4]) {
      expect(parseIpv4(withByte(hex(captures.echoRequest), 0, 0x40 | ihl))).toBe(
        'bad-header-length',
      );
    }
  });

  it("says 'truncated' when the IHL reaches past the packet", () => {
    const packet = hex(captures.emptyUdpToClosedPort); // 28 bytes
    expect(parseIpv4(withByte(packet, 0, 0x48))).toBe('truncated'); // 32-byte header
  });

  it("says 'bad-total-length' when the total length is shorter than the header", () => {
    const packet = hex(captures.echoRequest);
    for (const total of [0, 1, 19]) {
      const bad = Buffer.from(packet);
      bad.writeUInt16BE(total, 2);
      bad.writeUInt16BE(referenceIpChecksum(bad), 10);
      expect(parseIpv4(bad)).toBe('bad-total-length');
    }
    const withOptions = withByte(packet, 0, 0x46);
    withOptions.writeUInt16BE(22, 2);
    withOptions.writeUInt16BE(referenceIpChecksum(withOptions), 10);
    expect(parseIpv4(withOptions)).toBe('bad-total-length');
  });

  it("says 'bad-checksum' when any header bit flips", () => {
    const packet = hex(captures.synToServer);
    for (let bit = 0; bit < 160; bit++) {
      const bad = Buffer.from(packet);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      const reason = parseIpv4(bad);
      // Flipping version, IHL or length bits is caught by their own checks first.
      expect(typeof reason === 'string' ? reason : 'accepted', `bit ${bit}`).not.toBe('accepted');
      if (bit >= 32) expect(reason, `bit ${bit}`).toBe('bad-checksum');
    }
  });

  it("says 'fragment' for MF or a non-zero offset, and accepts DF alone", () => {
    const packet = hex(captures.dnsQuery);
    const set = (flagsAndOffset: number) => {
      const copy = Buffer.from(packet);
      copy.writeUInt16BE(flagsAndOffset, 6);
      copy.writeUInt16BE(referenceIpChecksum(copy), 10);
      return parseIpv4(copy);
    };
    expect(set(0x2000)).toBe('fragment'); // first fragment
    expect(set(0x0001)).toBe('fragment'); // last fragment, offset 8
    expect(set(0x2010)).toBe('fragment'); // middle fragment
    expect(set(0x4000)).toMatchObject({ dontFragment: true, fragmentOffset: 0 });
  });

  it('accepts options and points the payload after them', () => {
    const original = hex(captures.echoRequest);
    // Insert 4 bytes of options (NOP, NOP, NOP, End of list) after the fixed header.
    const packet = Buffer.concat([
      original.subarray(0, 20),
      hex('01010100'),
      original.subarray(20),
    ]);
    packet[0] = 0x46;
    packet.writeUInt16BE(original.length + 4, 2);
    packet.writeUInt16BE(referenceIpChecksum(packet), 10);
    const ip = header(packet);
    expect(ip.headerLength).toBe(24);
    expect(ip.payloadOffset).toBe(24);
    expect(ip.payloadLength).toBe(64);
  });

  it('never throws on random bytes or random corruption (seeded)', () => {
    const random = seededRandom(791);
    const all = Object.values(captures).map(hex);
    for (let round = 0; round < 5000; round++) {
      let packet: Buffer;
      if (round % 2 === 0) {
        packet = randomBytes(random, randomInt(random, 80));
        if (packet.length > 0) packet[0] = 0x40 | ((packet[0] ?? 0) & 0x0f);
      } else {
        packet = Buffer.from(all[randomInt(random, all.length)] ?? Buffer.alloc(0));
        const at = randomInt(random, Math.min(packet.length, 24));
        packet[at] = randomInt(random, 256);
        packet.writeUInt16BE(referenceIpChecksum(packet), 10);
      }
      expect(() => parseIpv4(packet)).not.toThrow();
    }
  });
});

describe('writeIpv4Header', () => {
  it("writes the kernel's own header for its TCP reset (id 0, DF, TTL 64)", () => {
    const kernel = hex(captures.rstFromClosedPort).subarray(0, 20);
    const out = Buffer.alloc(20);
    expect(writeIpv4Header(out, 0, SERVER, CLIENT, IP_PROTOCOL.TCP, 40)).toBe(20);
    expect(out.toString('hex')).toBe(kernel.toString('hex'));
  });

  it("writes the kernel's header for a UDP query given its id and flags", () => {
    const kernel = hex(captures.dnsQuery).subarray(0, 20);
    const out = Buffer.alloc(24, 0xee);
    writeIpv4Header(out, 4, CLIENT, SERVER, IP_PROTOCOL.UDP, 59, {
      identification: 0x3289,
      dontFragment: false,
    });
    expect(out.subarray(4).toString('hex')).toBe(kernel.toString('hex'));
    expect(out.subarray(0, 4).toString('hex')).toBe('eeeeeeee');
  });

  it('honours TTL and TOS', () => {
    const out = Buffer.alloc(20);
    writeIpv4Header(out, 0, 1, 2, IP_PROTOCOL.ICMP, 20, { ttl: 1, tos: 0xc0 });
    const ip = header(out);
    expect(ip.ttl).toBe(1);
    expect(ip.tos).toBe(0xc0);
    expect(ip.source).toBe(1);
    expect(ip.destination).toBe(2);
  });
});

describe('rewriteIpv4Addresses', () => {
  it('keeps the header checksum equal to a full recomputation (seeded)', () => {
    const random = seededRandom(1624);
    const packet = hex(captures.echoReply);
    for (let round = 0; round < 2000; round++) {
      const source = randomInt(random, 0x1_0000_0000);
      const destination = randomInt(random, 0x1_0000_0000);
      rewriteIpv4Addresses(packet, source, destination);
      expect(packet.readUInt16BE(10)).toBe(referenceIpChecksum(packet));
      expect(header(packet)).toMatchObject({ source, destination });
    }
    rewriteIpv4Addresses(packet, SERVER, CLIENT);
    expect(packet.toString('hex')).toBe(captures.echoReply);
  });
});

describe('ipToNumber / numberToIp', () => {
  it('converts both ways', () => {
    expect(ipToNumber('198.18.0.10')).toBe(0xc612000a);
    expect(ipToNumber('255.255.255.255')).toBe(0xffffffff);
    expect(ipToNumber('0.0.0.0')).toBe(0);
    expect(numberToIp(0xc612000a)).toBe('198.18.0.10');
    expect(numberToIp(0xffffffff)).toBe('255.255.255.255');
    expect(numberToIp(-1)).toBe('255.255.255.255');
    const random = seededRandom(4);
    for (let i = 0; i < 1000; i++) {
      const n = randomInt(random, 0x1_0000_0000);
      expect(ipToNumber(numberToIp(n))).toBe(n);
    }
  });

  it('refuses anything but a strict dotted quad', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.-4',
      ' 1.2.3.4',
      '1.2.3.4 ',
      'a.b.c.d',
      '1..3.4',
      '0x1.2.3.4',
      '1.2.3.1e2',
    ]) {
      expect(() => ipToNumber(bad), bad).toThrow(TypeError);
    }
  });
});
