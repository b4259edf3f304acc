// Which addresses the engine gives the TUN (DESIGN §3). A is the intranet IP the gateway
// leased, or a local stand-in when it leases none. B, the NAT's peer address, is 192.0.0.8,
// the IPv4 dummy address of RFC 7600: it is never a real host, so it collides with nothing.
import type { SessionConfig } from '../../shared/protocol/session.js';

export const SPARE_ADDRESS = '192.0.0.8';
/** A stand-in client address from the same IETF block, used when the gateway has no pool. */
export const LOCAL_ADDRESS = '192.0.0.2';

/**
 * The TUN MTU. Packets never leave this host as they are (TCP is terminated locally, UDP and
 * ICMP are re-encapsulated), so the MTU only sets the size of the segments the local stack
 * hands us: large segments mean fewer packets to rewrite. Measured in bench/, see docs.
 */
export const DEFAULT_MTU = 65_000;

export interface AddressPlan {
  address: string;
  prefixLength: number;
  spareAddress: string;
}

/** A as /32, so the pool's other addresses are not routed to the TUN (no client-to-client). */
export function planAddresses(config: SessionConfig): AddressPlan {
  return {
    address: config.intranetIp ?? LOCAL_ADDRESS,
    prefixLength: 32,
    spareAddress: SPARE_ADDRESS,
  };
}
