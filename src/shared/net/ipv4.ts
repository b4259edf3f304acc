// IPv4 addresses and CIDR blocks as plain 32-bit numbers: the policy check runs for every
// flow, so matching is integer arithmetic, never string work.

export interface Cidr {
  /** Network address, host bits cleared, as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
  /** Netmask as an unsigned 32-bit number. */
  readonly mask: number;
}

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(text: string): boolean {
  return DOTTED_QUAD.test(text);
}

/** Parses a dotted quad; throws on anything else (no leading zeros, no shorthand). */
export function parseIPv4(text: string): number {
  if (!isIPv4(text)) throw new TypeError(`"${text}" is not an IPv4 address`);
  const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses "a.b.c.d/n" (or a bare address, taken as /32). Host bits must be zero unless
 * `allowHostBits` is set: "198.18.0.10/24" in a config file is almost always a typo.
 */
export function parseCidr(text: string, allowHostBits = false): Cidr {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? '32' : text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) {
    throw new Error(`"${text}" has an invalid prefix length (0 to 32)`);
  }
  const prefix = Number(prefixText);
  const address = parseIPv4(addressText);
  const mask = maskOf(prefix);
  const network = (address & mask) >>> 0;
  if (!allowHostBits && network !== address) {
    throw new Error(`"${text}" has host bits set (did you mean ${formatIPv4(network)}/${prefix}?)`);
  }
  return { network, prefix, mask };
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  return (address & cidr.mask) >>> 0 === cidr.network;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}

/** Number of addresses in the block (2^(32-prefix)). */
export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}
