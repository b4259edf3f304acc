// Where the gateway's own traffic should go when the tunnel takes all traffic: the route the
// main table would choose for the gateway if the tunnel were not there. Read again before
// every reconnect, because a network change (Wi-Fi down and up, another network) removes the
// host route set at connect time with the link it went through, or leaves it pointing at a
// next hop that is no longer there.
import type { Cidr } from '../../../shared/net/ipv4.js';
import { cidrContains, parseIpv4Cidr } from './cidr.js';
import type { HostRoute } from './routes.js';

/** One route of `ip -j route show table main`, as far as the choice needs it. */
export interface MainRoute {
  /** "default", "a.b.c.d/len", or "a.b.c.d" for a host route. */
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  /** Absent for unicast; "blackhole", "unreachable", "prohibit"… otherwise. */
  type?: string;
  /** "linkdown" when the device has no carrier. */
  flags?: string[];
}

/** The route's prefix ("default" is 0.0.0.0/0, a bare address a /32); null if unreadable. */
function prefixOf(dst: string): Cidr | null {
  return parseIpv4Cidr(dst === 'default' ? '0.0.0.0/0' : dst);
}

/**
 * The host route that takes `gatewayIp` where the main table would without the tunnel: the
 * longest matching unicast route (lowest metric on a tie) that goes through neither `tun`
 * nor our own host route `ownDst`, and whose link is up. Null when there is none: the
 * network is down, and connecting would only send the gateway's traffic into the tunnel.
 */
export function gatewayPath(
  routes: readonly MainRoute[],
  gatewayIp: string,
  tun: string,
  ownDst: string,
): HostRoute | null {
  const own = parseIpv4Cidr(ownDst);
  let best: { route: MainRoute; prefix: number; metric: number } | null = null;
  for (const route of routes) {
    if (route.type !== undefined && route.type !== 'unicast') continue;
    if (!route.dev || route.dev === tun || route.flags?.includes('linkdown')) continue;
    const cidr = prefixOf(route.dst);
    if (cidr === null || !cidrContains(cidr, gatewayIp)) continue;
    if (own !== null && cidr.prefix === 32 && cidr.network === own.network) continue;
    const metric = route.metric ?? 0;
    if (
      best === null ||
      cidr.prefix > best.prefix ||
      (cidr.prefix === best.prefix && metric < best.metric)
    ) {
      best = { route, prefix: cidr.prefix, metric };
    }
  }
  if (best === null) return null;
  return { dst: ownDst, gateway: best.route.gateway ?? null, dev: best.route.dev as string };
}
