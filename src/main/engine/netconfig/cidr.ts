// IPv4 addresses and prefixes, just what the network setup needs to validate a plan.
import { isIP } from 'node:net';

export function parseIpv4(text: string): number | null {
  if (isIP(text) !== 4) return null;
  const parts = text.split('.').map(Number);
  return (
    (((parts[0] ?? 0) << 24) |
      ((parts[1] ?? 0) << 16) |
      ((parts[2] ?? 0) << 8) |
      (parts[3] ?? 0)) >>>
    0
  );
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

export interface Ipv4Prefix {
  network: number;
  length: number;
}

function mask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Parses "a.b.c.d/n" (or a bare address, as /32); host bits are cleared. */
export function parseIpv4Cidr(text: string): Ipv4Prefix | null {
  const [addr, len, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return null;
  const ip = parseIpv4(addr);
  if (ip === null) return null;
  let length = 32;
  if (len !== undefined) {
    if (!/^\d{1,2}$/.test(len)) return null;
    length = Number(len);
    if (length > 32) return null;
  }
  return { network: (ip & mask(length)) >>> 0, length };
}

/** "198.18.0.7/24" → "198.18.0.0/24", the form the kernel accepts and lists. */
export function normalizeCidr(text: string): string | null {
  const p = parseIpv4Cidr(text);
  return p ? `${formatIpv4(p.network)}/${p.length}` : null;
}

export function cidrContains(prefix: Ipv4Prefix, address: string): boolean {
  const ip = parseIpv4(address);
  if (ip === null) return false;
  return (ip & mask(prefix.length)) >>> 0 === prefix.network;
}
