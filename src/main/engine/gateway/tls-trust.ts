// How the client decides to trust the gateway's certificate: the system's CA store, a CA
// file, or a pinned SHA-256 fingerprint. Verification is never switched off: with a pin the
// certificate must match it exactly; otherwise it must chain to a trusted CA and name the host.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates, type PeerCertificate } from 'node:tls';

export type Trust =
  { kind: 'system' } | { kind: 'ca'; pem: string } | { kind: 'pin'; sha256: Buffer };

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/cert.pem', // Alpine, macOS
];

/** Node's bundled roots plus the operating system's bundle, where there is one. */
export function systemCaList(): string[] {
  const bundle = SYSTEM_BUNDLES.find((path) => existsSync(path));
  return bundle ? [...rootCertificates, readFileSync(bundle, 'utf8')] : [...rootCertificates];
}

/** Parses "sha256:<64 hex>" (colons allowed) or "sha256:<base64>". */
export function parsePin(text: string): Buffer {
  const match = /^sha256:(.+)$/i.exec(text.trim());
  if (!match)
    throw new Error(
      `a pin looks like sha256:AB:CD:… (64 hex digits) or sha256:<base64>; got "${text}"`,
    );
  const value = (match[1] as string).trim();
  const hex = value.replace(/:/g, '');
  if (/^[0-9a-f]{64}$/i.test(hex)) return Buffer.from(hex, 'hex');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 32) return bytes;
  throw new Error(`the pin "${text}" is not a SHA-256 fingerprint (32 bytes)`);
}

export function fingerprintOf(cert: PeerCertificate): string {
  return cert.fingerprint256 ?? createHash('sha256').update(cert.raw).digest('hex');
}

export function pinMatches(cert: PeerCertificate, pin: Buffer): boolean {
  if (!cert.raw) return false;
  const actual = createHash('sha256').update(cert.raw).digest();
  return actual.length === pin.length && timingSafeEqual(actual, pin);
}
