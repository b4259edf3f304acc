// Destinations no broad allow reaches. A full tunnel's policy allows 0.0.0.0/0; taken
// literally, it lets a user reach the gateway's own services (metrics on 127.0.0.1, its own
// port 443 on every address it has), cloud metadata on link-local 169.254.169.254, and
// multicast or broadcast groups of the gateway's networks. A flow to such an address is
// allowed only by a resource that names that range itself (its whole block lies inside the
// reserved one): `127.0.0.1/32` opens loopback, `0.0.0.0/0` or `198.18.0.0/24` do not.
import { networkInterfaces } from 'node:os';
import { cidrContains, parseCidr, parseIPv4, type Cidr } from '../shared/net/ipv4.js';

export type ReservedKind =
  | 'this-network'
  | 'loopback'
  | 'link-local'
  | 'multicast'
  | 'reserved'
  | 'gateway-address'
  | 'broadcast';

export interface ReservedBlock {
  readonly kind: ReservedKind;
  readonly cidr: Cidr;
}

/** Special-purpose IPv4 blocks (RFC 6890) that are never an intranet server. */
export const SPECIAL_BLOCKS: readonly ReservedBlock[] = [
  { kind: 'this-network', cidr: parseCidr('0.0.0.0/8') },
  { kind: 'loopback', cidr: parseCidr('127.0.0.0/8') },
  { kind: 'link-local', cidr: parseCidr('169.254.0.0/16') },
  { kind: 'multicast', cidr: parseCidr('224.0.0.0/4') },
  // 240/4 holds the limited broadcast 255.255.255.255 and addresses reserved for future use.
  { kind: 'reserved', cidr: parseCidr('240.0.0.0/4') },
];

/** An interface address as `os.networkInterfaces()` lists it. */
export interface InterfaceAddress {
  family: string;
  address: string;
  netmask: string;
}

/**
 * The gateway's own IPv4 addresses, each a /32, and the directed broadcast address of each
 * of its subnets (a /31 or /32 has none).
 */
export function ownAddressBlocks(
  addresses: Iterable<InterfaceAddress> = listInterfaceAddresses(),
): ReservedBlock[] {
  const blocks = new Map<number, ReservedBlock>();
  for (const entry of addresses) {
    if (entry.family !== 'IPv4') continue;
    const address = parseIPv4(entry.address);
    blocks.set(address, { kind: 'gateway-address', cidr: parseCidr(entry.address) });
    const mask = parseIPv4(entry.netmask);
    const broadcast = (address | ~mask) >>> 0;
    if (mask >>> 0 < 0xfffffffe && !blocks.has(broadcast)) {
      blocks.set(broadcast, {
        kind: 'broadcast',
        cidr: { network: broadcast, prefix: 32, mask: 0xffffffff },
      });
    }
  }
  return [...blocks.values()];
}

function listInterfaceAddresses(): InterfaceAddress[] {
  return Object.values(networkInterfaces()).flatMap((list) => list ?? []);
}

export class ReservedDestinations {
  private own = new Map<number, ReservedBlock>();

  constructor(ownBlocks: readonly ReservedBlock[] = []) {
    this.setOwn(ownBlocks);
  }

  /** Replaces the gateway's own addresses (they change when interfaces do). */
  setOwn(blocks: readonly ReservedBlock[]): void {
    this.own = new Map(blocks.map((block) => [block.cidr.network, block]));
  }

  /** Every block, the special ones first (the order `find` looks in). */
  all(): ReservedBlock[] {
    return [...SPECIAL_BLOCKS, ...this.own.values()];
  }

  /** The reserved block an address falls in, if any. */
  find(address: number): ReservedBlock | undefined {
    for (const block of SPECIAL_BLOCKS) if (cidrContains(block.cidr, address)) return block;
    return this.own.get(address);
  }
}

/** Whether `inner` lies wholly inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.network);
}
