// The URI templates of MASQUE: connect-udp (RFC 9298 §2) and connect-ip (RFC 9484 §4.6),
// with the default well-known paths.
export const CONNECT_UDP = 'connect-udp';
export const CONNECT_IP = 'connect-ip';

export function connectUdpPath(host: string, port: number): string {
  return `/.well-known/masque/udp/${encodeURIComponent(host)}/${port}/`;
}

/** `target` is "*" or an IP prefix "a.b.c.d" / "a.b.c.d/n" (encoded "%2F"); ipproto 1 = ICMP. */
export function connectIpPath(target: string, ipproto: number): string {
  return `/.well-known/masque/ip/${encodeURIComponent(target)}/${ipproto}/`;
}

export type MasqueTarget =
  | { kind: 'udp'; host: string; port: number }
  | { kind: 'ip'; target: string; ipproto: number | '*' }
  | { kind: 'invalid'; reason: string };

/** Parses the :path of an extended CONNECT; a malformed path is reported, never thrown. */
export function parseMasquePath(protocol: string, path: string): MasqueTarget {
  const queryless = path.split('?')[0] ?? '';
  const parts = queryless.split('/');
  // "", ".well-known", "masque", kind, a, b, "" (the trailing slash is optional)
  if (parts[1] !== '.well-known' || parts[2] !== 'masque' || parts.length < 6 || parts.length > 7) {
    return { kind: 'invalid', reason: `unexpected path ${JSON.stringify(path)}` };
  }
  if (parts.length === 7 && parts[6] !== '') {
    return { kind: 'invalid', reason: `unexpected path ${JSON.stringify(path)}` };
  }
  let first: string;
  let second: string;
  try {
    first = decodeURIComponent(parts[4] ?? '');
    second = decodeURIComponent(parts[5] ?? '');
  } catch {
    return { kind: 'invalid', reason: 'bad percent-encoding in path' };
  }
  if (protocol === CONNECT_UDP && parts[3] === 'udp') {
    if (!/^\d{1,5}$/.test(second) || Number(second) < 1 || Number(second) > 65535) {
      return { kind: 'invalid', reason: `bad target port ${JSON.stringify(second)}` };
    }
    if (first.length === 0 || first.length > 253)
      return { kind: 'invalid', reason: 'bad target host' };
    return { kind: 'udp', host: first, port: Number(second) };
  }
  if (protocol === CONNECT_IP && parts[3] === 'ip') {
    if (second !== '*' && (!/^\d{1,3}$/.test(second) || Number(second) > 255)) {
      return { kind: 'invalid', reason: `bad ipproto ${JSON.stringify(second)}` };
    }
    if (first.length === 0) return { kind: 'invalid', reason: 'bad target' };
    return { kind: 'ip', target: first, ipproto: second === '*' ? '*' : Number(second) };
  }
  return { kind: 'invalid', reason: `path does not match :protocol ${protocol}` };
}
