// IPv4 addresses and prefixes for validating a network plan: the shared parsers
// (src/shared/net/ipv4.ts), with null for "not valid" instead of an exception.
import {
  cidrContains as contains,
  formatCidr,
  isIPv4,
  parseCidr,
  parseIPv4,
  type Cidr,
} from '../../../shared/net/ipv4.js';

export function parseIpv4(text: string): number | null {
  return isIPv4(text) ? parseIPv4(text) : null;
}

/** Parses "a.b.c.d/n" (or a bare address, as /32); host bits are cleared. */
export function parseIpv4Cidr(text: string): Cidr | null {
  try {
    return parseCidr(text.trim(), true);
  } catch {
    return null;
  }
}

/** "198.18.0.7/24" → "198.18.0.0/24", the form the kernel accepts and lists. */
export function normalizeCidr(text: string): string | null {
  const prefix = parseIpv4Cidr(text);
  return prefix ? formatCidr(prefix) : null;
}

export function cidrContains(prefix: Cidr, address: string): boolean {
  const ip = parseIpv4(address);
  return ip !== null && contains(prefix, ip);
}
