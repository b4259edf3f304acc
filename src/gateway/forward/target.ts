// Turns what a client asked for (an authority or a MASQUE host) into an IPv4 address the
// policy can judge. Names are resolved by the gateway, with its intranet DNS, and the policy
// judges the address that will actually be contacted.
import { lookup } from 'node:dns/promises';
import { isIPv4, parseIPv4 } from '../../shared/net/ipv4.js';
import type { ProxyError } from '../../shared/protocol/proxy-status.js';

export type Resolved =
  | { ok: true; address: string; value: number }
  | { ok: false; status: number; error: ProxyError; details: string };

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;

/** Splits "host:port" (RFC 9113 §8.5 CONNECT authority); undefined when malformed. */
export function parseAuthority(
  authority: string | undefined,
): { host: string; port: number } | undefined {
  if (!authority) return undefined;
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

export async function resolveTarget(host: string, timeoutMs = 5000): Promise<Resolved> {
  if (isIPv4(host)) return { ok: true, address: host, value: parseIPv4(host) };
  if (host.includes(':')) {
    return {
      ok: false,
      status: 403,
      error: 'destination_ip_prohibited',
      details: 'IPv6 targets are not served',
    };
  }
  if (!HOSTNAME.test(host)) {
    return {
      ok: false,
      status: 400,
      error: 'http_request_error',
      details: `bad host name "${host.slice(0, 64)}"`,
    };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      lookup(host, { family: 4 }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
          timeoutMs,
        );
      }),
    ]);
    return { ok: true, address: answer.address, value: parseIPv4(answer.address) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    return { ok: false, status: 502, error: 'dns_error', details: `${host}: ${code}` };
  } finally {
    clearTimeout(timer);
  }
}
