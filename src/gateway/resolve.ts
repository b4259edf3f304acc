// Host names in CONNECT and connect-udp targets, resolved for the data plane: it asks
// (RESOLVE) when a client names a host instead of an address, and judges the address that
// comes back, which is the one it will contact. IPv4 only; the gateway's own resolver
// configuration (its intranet DNS).
import { lookup } from 'node:dns/promises';
import { isIPv4, parseIPv4 } from '../shared/net/ipv4.js';

export type Resolution = { ok: true; address: number } | { ok: false; error: string };

export async function resolveName(host: string, timeoutMs = 5000): Promise<Resolution> {
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
    if (!isIPv4(answer.address)) return { ok: false, error: 'ENOTFOUND' };
    return { ok: true, address: parseIPv4(answer.address) };
  } catch (err) {
    return { ok: false, error: (err as NodeJS.ErrnoException).code ?? 'unknown' };
  } finally {
    clearTimeout(timer);
  }
}
