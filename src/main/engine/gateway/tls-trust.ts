// How the client decides to trust the gateway's certificate: the system's CA store, a CA
// file, or a pin. Verification is never switched off: with a pin the certificate must match
// it exactly; otherwise it must chain to a trusted CA and name the host.
//
// Two kinds of pin: "sha256:…" is the whole certificate (what the gateway prints at start and
// what an administrator hands out); "spki-sha256:…" is its public key (SubjectPublicKeyInfo),
// what the desktop app saves when a user trusts a certificate, so that a renewal with the same
// key is not a new question.
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates, type PeerCertificate } from 'node:tls';
import type { CertificateInfo, CertificateProblem } from '../types.js';

export type PinKind = 'certificate' | 'public-key';

export type Trust =
  { kind: 'system' } | { kind: 'ca'; pem: string } | { kind: 'pin'; pin: PinKind; sha256: Buffer };

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

const PIN_PREFIX: Record<PinKind, string> = {
  certificate: 'sha256:',
  'public-key': 'spki-sha256:',
};

/**
 * Parses "sha256:<64 hex>" (colons allowed) or "sha256:<base64>" (the certificate), and the
 * same after "spki-sha256:" (the public key).
 */
export function parsePin(text: string): { pin: PinKind; sha256: Buffer } {
  const match = /^(spki-)?sha256:(.+)$/i.exec(text.trim());
  if (!match)
    throw new Error(
      `a pin looks like sha256:AB:CD:… (64 hex digits, the certificate), sha256:<base64>, or spki-sha256:… (its public key); got "${text}"`,
    );
  const pin: PinKind = match[1] ? 'public-key' : 'certificate';
  const value = (match[2] as string).trim();
  const hex = value.replace(/:/g, '');
  if (/^[0-9a-f]{64}$/i.test(hex)) return { pin, sha256: Buffer.from(hex, 'hex') };
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 32) return { pin, sha256: bytes };
  throw new Error(`the pin "${text}" is not a SHA-256 fingerprint (32 bytes)`);
}

/** The pin text of a kind for a digest: what a profile saves. */
export function formatPin(pin: PinKind, sha256: Buffer): string {
  return `${PIN_PREFIX[pin]}${pin === 'certificate' ? colonHex(sha256) : sha256.toString('base64')}`;
}

function colonHex(bytes: Buffer): string {
  return (bytes.toString('hex').toUpperCase().match(/../g) ?? []).join(':');
}

export function fingerprintOf(cert: PeerCertificate): string {
  return cert.fingerprint256 ?? colonHex(createHash('sha256').update(cert.raw).digest());
}

/** SHA-256 of the certificate's DER SubjectPublicKeyInfo (RFC 7469's pin). */
export function spkiDigest(raw: Buffer): Buffer {
  const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest();
}

export function pinMatches(cert: PeerCertificate, pin: { pin: PinKind; sha256: Buffer }): boolean {
  if (!cert.raw) return false;
  let actual: Buffer;
  try {
    actual =
      pin.pin === 'certificate'
        ? createHash('sha256').update(cert.raw).digest()
        : spkiDigest(cert.raw);
  } catch {
    return false; // a certificate whose key cannot be read matches no pin
  }
  return actual.length === pin.sha256.length && timingSafeEqual(actual, pin.sha256);
}

/** Node's verification codes → the few cases a user can be told about. */
export function certificateProblem(code: string): CertificateProblem {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'self-signed';
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'unknown-issuer';
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not-yet-valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'HOSTNAME_MISMATCH':
      return 'wrong-name';
    default:
      return 'other';
  }
}

/** "CN=gw\nO=Corp" → "CN=gw, O=Corp". */
function distinguishedName(text: string | undefined): string {
  return (text ?? '')
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(', ');
}

function isoDate(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}

/** What the UI shows of a certificate it asks the user about. */
export function describeCertificate(
  cert: PeerCertificate,
  problem: CertificateProblem,
  detail: string,
): CertificateInfo {
  let spkiSha256 = '';
  try {
    spkiSha256 = spkiDigest(cert.raw).toString('base64');
  } catch {
    // left empty: the user can still compare the certificate's own fingerprint
  }
  const x509 = safeX509(cert.raw);
  return {
    subject: distinguishedName(x509?.subject),
    issuer: distinguishedName(x509?.issuer),
    validFrom: isoDate(x509?.validFrom ?? cert.valid_from ?? ''),
    validTo: isoDate(x509?.validTo ?? cert.valid_to ?? ''),
    sha256: fingerprintOf(cert),
    spkiSha256,
    problem,
    detail,
  };
}

function safeX509(raw: Buffer | undefined): X509Certificate | null {
  if (!raw) return null;
  try {
    return new X509Certificate(raw);
  } catch {
    return null;
  }
}
