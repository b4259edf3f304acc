import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  cidrSize,
  formatCidr,
  formatIPv4,
  isIPv4,
  maskOf,
  parseCidr,
  parseIPv4,
} from '../../../src/shared/net/ipv4.js';

describe('IPv4 addresses', () => {
  it('parses dotted quads to unsigned 32-bit numbers and back', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('198.18.0.10')).toBe(0xc612000a);
    expect(parseIPv4('128.0.0.1')).toBe(0x80000001);
    for (const text of ['0.0.0.0', '10.0.0.1', '100.64.0.255', '198.18.1.10', '255.255.255.255']) {
      expect(formatIPv4(parseIPv4(text))).toBe(text);
    }
  });

  it('refuses anything that is not a plain dotted quad', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.04',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '::1',
      'a.b.c.d',
      '1..2.3',
    ]) {
      expect(isIPv4(bad), bad).toBe(false);
      expect(() => parseIPv4(bad), bad).toThrow(/is not an IPv4 address/);
    }
  });

  it('builds masks for every prefix length, /0 and /32 included', () => {
    expect(maskOf(0)).toBe(0);
    expect(maskOf(1)).toBe(0x80000000);
    expect(maskOf(24)).toBe(0xffffff00);
    expect(maskOf(31)).toBe(0xfffffffe);
    expect(maskOf(32)).toBe(0xffffffff);
  });
});

describe('CIDR blocks', () => {
  it('parses and formats', () => {
    expect(parseCidr('198.18.0.0/23')).toEqual({
      network: 0xc6120000,
      prefix: 23,
      mask: 0xfffffe00,
    });
    expect(formatCidr(parseCidr('100.64.0.0/24'))).toBe('100.64.0.0/24');
    expect(formatCidr(parseCidr('0.0.0.0/0'))).toBe('0.0.0.0/0');
    expect(formatCidr(parseCidr('198.18.0.10/32'))).toBe('198.18.0.10/32');
    // A bare address is a /32.
    expect(parseCidr('198.18.0.10')).toEqual({ network: 0xc612000a, prefix: 32, mask: 0xffffffff });
  });

  it('refuses host bits unless asked to allow them, and says what was meant', () => {
    expect(() => parseCidr('198.18.0.10/24')).toThrow(
      '"198.18.0.10/24" has host bits set (did you mean 198.18.0.0/24?)',
    );
    expect(() => parseCidr('1.0.0.0/0')).toThrow(/host bits set \(did you mean 0\.0\.0\.0\/0\?\)/);
    expect(formatCidr(parseCidr('198.18.0.10/24', true))).toBe('198.18.0.0/24');
  });

  it('refuses bad prefix lengths and bad addresses', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/ 8',
      '10.0.0.0/8/8',
      '10.0.0.0/008',
      '10.0.0.0/x',
    ]) {
      expect(() => parseCidr(bad), bad).toThrow(/invalid prefix length/);
    }
    expect(() => parseCidr('10.0.0/8')).toThrow(/is not an IPv4 address/);
  });

  it('tests membership with the edges of the block', () => {
    const block = parseCidr('198.18.0.0/23');
    expect(cidrContains(block, parseIPv4('198.18.0.0'))).toBe(true);
    expect(cidrContains(block, parseIPv4('198.18.1.255'))).toBe(true);
    expect(cidrContains(block, parseIPv4('198.17.255.255'))).toBe(false);
    expect(cidrContains(block, parseIPv4('198.18.2.0'))).toBe(false);
    const all = parseCidr('0.0.0.0/0');
    for (const a of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '128.0.0.0'])
      expect(cidrContains(all, parseIPv4(a))).toBe(true);
    const one = parseCidr('198.18.0.10/32');
    expect(cidrContains(one, parseIPv4('198.18.0.10'))).toBe(true);
    expect(cidrContains(one, parseIPv4('198.18.0.11'))).toBe(false);
    expect(cidrContains(one, parseIPv4('198.18.0.9'))).toBe(false);
    // High-bit addresses stay unsigned.
    const high = parseCidr('224.0.0.0/4');
    expect(cidrContains(high, parseIPv4('239.255.255.255'))).toBe(true);
    expect(cidrContains(high, parseIPv4('240.0.0.0'))).toBe(false);
  });

  it('counts addresses', () => {
    expect(cidrSize(parseCidr('0.0.0.0/0'))).toBe(2 ** 32);
    expect(cidrSize(parseCidr('100.64.0.0/24'))).toBe(256);
    expect(cidrSize(parseCidr('10.0.0.0/31'))).toBe(2);
    expect(cidrSize(parseCidr('10.0.0.1/32'))).toBe(1);
  });
});
