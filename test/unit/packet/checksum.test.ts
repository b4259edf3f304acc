import { describe, expect, it } from 'vitest';
import {
  applyChecksumDelta,
  checksumDelta16,
  checksumDelta32,
  foldSum,
  internetChecksum,
  isChecksumValid,
  onesComplementSum,
  pseudoHeaderSum,
  updateChecksum16,
  updateChecksum32,
} from '../../../src/shared/packet/index.js';
import * as captures from './fixtures/captures.js';
import {
  hex,
  randomBytes,
  randomInt,
  referenceChecksum,
  referenceSum,
  seededRandom,
} from './helpers.js';

describe('internet checksum (RFC 1071)', () => {
  it('sums the RFC 1071 §3 example to 0xddf2', () => {
    const bytes = hex('0001f203f4f5f6f7');
    expect(onesComplementSum(bytes, 0, bytes.length)).toBe(0xddf2);
    expect(internetChecksum(bytes, 0, bytes.length)).toBe(0x220d);
  });

  it('pads an odd last byte with zero', () => {
    expect(onesComplementSum(hex('0102ab'), 0, 3)).toBe(0x0102 + 0xab00);
    expect(onesComplementSum(hex('ff'), 0, 1)).toBe(0xff00);
    expect(onesComplementSum(hex(''), 0, 0)).toBe(0);
  });

  it('carries around the end', () => {
    // 0xffff is ones'-complement minus zero: adding it changes nothing.
    expect(onesComplementSum(hex('ffffffff0001'), 0, 6)).toBe(0x0001);
    expect(onesComplementSum(hex('ffff0001'), 0, 4)).toBe(0x0001);
    expect(onesComplementSum(hex('8000800080008000'), 0, 8)).toBe(0x0002);
  });

  it('chains ranges through the initial sum', () => {
    const bytes = hex('45000054381a40004001');
    const whole = onesComplementSum(bytes, 0, 10);
    expect(onesComplementSum(bytes, 4, 10, onesComplementSum(bytes, 0, 4))).toBe(whole);
  });

  it('equals the textbook word-by-word sum on random ranges (seeded)', () => {
    const random = seededRandom(1071);
    for (let round = 0; round < 2000; round++) {
      const buf = randomBytes(random, 1 + randomInt(random, 300));
      const start = randomInt(random, buf.length);
      const end = start + randomInt(random, buf.length - start + 1);
      const initial = randomInt(random, 0x10000);
      const expected = referenceSum(buf.subarray(start, end), initial);
      const sum = onesComplementSum(buf, start, end, initial);
      // 0 and 0xffff are the two zeros of ones'-complement arithmetic.
      expect(sum === expected || (sum % 0xffff === 0 && expected % 0xffff === 0)).toBe(true);
      expect(internetChecksum(buf, start, end, initial) % 0xffff).toBe(
        referenceChecksum(buf.subarray(start, end), initial) % 0xffff,
      );
    }
  });

  it('equals the textbook sum for every alignment in memory, up to 64 KiB (seeded)', () => {
    // Long ranges are summed as aligned 32-bit words in host byte order: the Buffer's own
    // offset within its ArrayBuffer and the range's start both move that alignment.
    const random = seededRandom(4096);
    const backing = randomBytes(random, 70_000);
    const sizes = [63, 64, 65, 66, 67, 100, 1499, 1500, 9000, 65535];
    for (const size of sizes) {
      for (let bufferOffset = 0; bufferOffset < 4; bufferOffset++) {
        for (let start = 0; start < 4; start++) {
          const view = Buffer.from(backing.buffer, backing.byteOffset + bufferOffset, size + 8);
          const expected = referenceSum(view.subarray(start, start + size));
          expect(
            onesComplementSum(view, start, start + size),
            `${size}/${bufferOffset}/${start}`,
          ).toBe(expected);
        }
      }
    }
  });

  it('folds sums beyond 32 bits exactly', () => {
    expect(foldSum(0x1_0000_0000)).toBe(1);
    expect(foldSum(0xffff * 1000)).toBe(0xffff);
    // 2^16 ≡ 1 (mod 0xffff), so 2^40 ≡ 2^8.
    expect(foldSum(2 ** 40 + 5)).toBe(0x100 + 5);
  });

  it('verifies every header and message checksum the kernel computed', () => {
    for (const [name, text] of Object.entries(captures)) {
      const packet = hex(text);
      const ihl = ((packet[0] ?? 0) & 0x0f) * 4;
      expect(isChecksumValid(packet, 0, ihl), `${name} IP header`).toBe(true);
    }
    const echo = hex(captures.echoRequestOdd);
    expect(isChecksumValid(echo, 20, echo.length)).toBe(true);
  });

  it('computes the pseudo-header sum over addresses, protocol and length', () => {
    // 198.18.250.1 → 198.18.250.2, UDP, 39 bytes: c612 + fa01 + c612 + fa02 + 0011 + 0027.
    const expected = referenceSum(hex('c612fa01c612fa0200110027'));
    expect(pseudoHeaderSum(0xc612fa01, 0xc612fa02, 17, 39)).toBe(expected);
    // A kernel UDP datagram verifies with it.
    const dns = hex(captures.dnsQuery);
    expect(
      isChecksumValid(dns, 20, dns.length, pseudoHeaderSum(0xc612fa01, 0xc612fa02, 17, 39)),
    ).toBe(true);
  });
});

describe('incremental update (RFC 1624)', () => {
  it('reproduces the RFC 1624 §4 example, where equation 2 would give 0xffff', () => {
    // Sum of the other header words 0xcd7a; field m = 0x5555 → m' = 0x3285.
    const before = ~foldSum(0xcd7a + 0x5555) & 0xffff;
    expect(before).toBe(0xdd2f);
    expect(updateChecksum16(before, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('equals a full recomputation over many random 16- and 32-bit rewrites (seeded)', () => {
    const random = seededRandom(1624);
    for (let round = 0; round < 5000; round++) {
      const length = 2 * (4 + randomInt(random, 40));
      const data = randomBytes(random, length);
      let checksum = referenceChecksum(data);
      // Several changes in a row, each applied incrementally on the previous result.
      for (let change = 0; change < 4; change++) {
        if (random() < 0.5) {
          const at = 2 * randomInt(random, length / 2);
          const old = data.readUInt16BE(at);
          const next = random() < 0.1 ? old : randomInt(random, 0x10000);
          data.writeUInt16BE(next, at);
          checksum = updateChecksum16(checksum, old, next);
        } else {
          const at = 2 * randomInt(random, length / 2 - 1);
          const old = data.readUInt32BE(at);
          const next = randomInt(random, 0x1_0000_0000);
          data.writeUInt32BE(next, at);
          checksum = updateChecksum32(checksum, old, next);
        }
        expect(checksum).toBe(referenceChecksum(data));
      }
    }
  });

  it('applies several field changes at once through a summed delta', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 2000; round++) {
      const data = randomBytes(random, 40);
      const before = referenceChecksum(data);
      const newAddress = randomInt(random, 0x1_0000_0000);
      const newPort = randomInt(random, 0x10000);
      const delta =
        checksumDelta32(data.readUInt32BE(12), newAddress) +
        checksumDelta16(data.readUInt16BE(20), newPort);
      data.writeUInt32BE(newAddress, 12);
      data.writeUInt16BE(newPort, 20);
      expect(applyChecksumDelta(before, delta)).toBe(referenceChecksum(data));
    }
  });
});
