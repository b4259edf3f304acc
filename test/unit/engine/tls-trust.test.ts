// Certificate pins and what the UI is told about a certificate: against real certificates made
// with the openssl CLI (a renewal keeps the key, a replacement does not).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateProblem,
  describeCertificate,
  formatPin,
  parsePin,
  pinMatches,
  spkiDigest,
} from '../../../src/main/engine/gateway/tls-trust.js';

let dir: string;
const openssl = (args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function selfSigned(keyFile: string, out: string, cn: string): PeerCertificate {
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-subj',
    `/CN=${cn}/O=Corp`,
    '-days',
    '3',
    '-out',
    out,
  ]);
  const x509 = new X509Certificate(readFileSync(join(dir, out)));
  // The fields of a PeerCertificate the trust code reads.
  return {
    raw: x509.raw,
    fingerprint256: x509.fingerprint256,
    valid_from: x509.validFrom,
    valid_to: x509.validTo,
  } as PeerCertificate;
}

let first: PeerCertificate;
let renewed: PeerCertificate;
let replaced: PeerCertificate;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'passerelle-trust-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'a.key']);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'b.key']);
  first = selfSigned('a.key', 'first.crt', 'gw.corp.test');
  renewed = selfSigned('a.key', 'renewed.crt', 'gw.corp.test');
  replaced = selfSigned('b.key', 'replaced.crt', 'gw.corp.test');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('certificate pins', () => {
  it('parses certificate and public-key pins, in hex with colons or base64', () => {
    const hex = 'AB:'.repeat(31) + 'AB';
    expect(parsePin(`sha256:${hex}`)).toEqual({
      pin: 'certificate',
      sha256: Buffer.alloc(32, 0xab),
    });
    expect(parsePin(`spki-sha256:${Buffer.alloc(32, 1).toString('base64')}`)).toEqual({
      pin: 'public-key',
      sha256: Buffer.alloc(32, 1),
    });
    expect(() => parsePin('md5:abc')).toThrow(/spki-sha256/);
    expect(() => parsePin('spki-sha256:AAAA')).toThrow(/32 bytes/);
  });

  it('formats what it parses', () => {
    const digest = Buffer.alloc(32, 7);
    for (const kind of ['certificate', 'public-key'] as const)
      expect(parsePin(formatPin(kind, digest))).toEqual({ pin: kind, sha256: digest });
    expect(formatPin('certificate', digest)).toMatch(/^sha256:07:07:/);
  });

  it('a certificate pin matches that certificate only; a public-key pin survives a renewal', () => {
    const certPin = parsePin(`sha256:${first.fingerprint256}`);
    expect(pinMatches(first, certPin)).toBe(true);
    expect(pinMatches(renewed, certPin)).toBe(false);

    const keyPin = parsePin(formatPin('public-key', spkiDigest(first.raw)));
    expect(pinMatches(first, keyPin)).toBe(true);
    expect(pinMatches(renewed, keyPin)).toBe(true);
    expect(pinMatches(replaced, keyPin)).toBe(false);
  });

  it('the public-key digest is the one openssl computes for the SPKI', () => {
    const der = openssl(['pkey', '-in', 'a.key', '-pubout', '-outform', 'DER']);
    const expected = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
    expect(spkiDigest(first.raw).equals(expected)).toBe(true);
  });
});

describe('describeCertificate', () => {
  it('says who the certificate names, who signed it, when it is valid, and why it is refused', () => {
    const info = describeCertificate(first, 'self-signed', 'DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(info).toMatchObject({
      subject: 'CN=gw.corp.test, O=Corp',
      issuer: 'CN=gw.corp.test, O=Corp',
      sha256: first.fingerprint256,
      spkiSha256: spkiDigest(first.raw).toString('base64'),
      problem: 'self-signed',
      detail: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    const from = Date.parse(info.validFrom);
    const to = Date.parse(info.validTo);
    expect(to - from).toBe(3 * 86_400_000);
    expect(Math.abs(from - Date.now())).toBeLessThan(3_600_000);
  });

  it('maps the TLS library codes users can be told about', () => {
    expect(certificateProblem('SELF_SIGNED_CERT_IN_CHAIN')).toBe('self-signed');
    expect(certificateProblem('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toBe('unknown-issuer');
    expect(certificateProblem('CERT_HAS_EXPIRED')).toBe('expired');
    expect(certificateProblem('CERT_NOT_YET_VALID')).toBe('not-yet-valid');
    expect(certificateProblem('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('wrong-name');
    expect(certificateProblem('SOMETHING_ELSE')).toBe('other');
  });
});
