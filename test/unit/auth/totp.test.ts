import { describe, expect, it } from 'vitest';
import {
  TotpReplayGuard,
  base32Decode,
  base32Encode,
  generateTotpSecret,
  hotp,
  totp,
  totpStep,
  verifyTotp,
} from '../../../src/gateway/auth/totp.js';

describe('base32 (RFC 4648 §10 vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];
  it.each(vectors)('%j <-> %j', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(plain);
    expect(base32Decode(encoded.replace(/=+$/, '')).toString()).toBe(plain);
    expect(base32Decode(encoded.toLowerCase()).toString()).toBe(plain);
  });

  it('ignores spaces (grouped secrets)', () => {
    expect(base32Decode('mzxw 6ytb oi').toString()).toBe('foobar');
  });

  it('round-trips random bytes of every length', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
      expect(base32Decode(base32Encode(bytes)).equals(bytes)).toBe(true);
    }
  });

  it('reports bad characters with their position', () => {
    expect(() => base32Decode('MZXW1YTB')).toThrow(/invalid base32 character "1" at position 5/);
    expect(() => base32Decode('MZXW0YTB')).toThrow(/"0"/);
    expect(() => base32Decode('MZXW-YTB')).toThrow(/"-"/);
    expect(() => base32Decode('MZXW\u00e9YTB')).toThrow(/U\+00E9 at position 5/);
  });

  it('rejects misplaced padding and impossible lengths', () => {
    expect(() => base32Decode('MZ=XW6===')).toThrow(/only appear at the end/);
    expect(() => base32Decode('MZXW6==')).toThrow(/multiple of 8/);
    expect(() => base32Decode('M')).toThrow(/whole number of bytes/);
    expect(() => base32Decode('MZX')).toThrow(/whole number of bytes/);
    expect(() => base32Decode('MZXW6Y')).toThrow(/whole number of bytes/);
  });

  it('generates 160-bit secrets', () => {
    const s = generateTotpSecret();
    expect(s).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(s)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(s);
  });
});

describe('HOTP (RFC 4226 Appendix D)', () => {
  const secret = Buffer.from('12345678901234567890', 'ascii');
  const expected = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ];
  it.each(expected.map((code, counter) => [counter, code]))('counter %i -> %s', (counter, code) => {
    expect(hotp(secret, counter)).toBe(code);
  });
});

describe('TOTP (RFC 6238 Appendix B)', () => {
  const seeds = {
    sha1: Buffer.from('12345678901234567890', 'ascii'),
    sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
    sha512: Buffer.from(
      '1234567890123456789012345678901234567890123456789012345678901234',
      'ascii',
    ),
  } as const;
  const vectors: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('T = %i s', (seconds, sha1, sha256, sha512) => {
    const now = seconds * 1000;
    expect(totp(seeds.sha1, now, { digits: 8 })).toBe(sha1);
    expect(totp(seeds.sha256, now, { digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(totp(seeds.sha512, now, { digits: 8, algorithm: 'sha512' })).toBe(sha512);
    // Verification of the same vectors, from the base32 form of the secret.
    const b32 = base32Encode(seeds.sha1);
    const r = verifyTotp(b32, sha1, now, 0, { digits: 8 });
    expect(r).toEqual({ ok: true, step: Math.floor(seconds / 30) });
  });

  it('6-digit codes are the last 6 digits of the 8-digit ones', () => {
    expect(totp(seeds.sha1, 59_000)).toBe('287082');
  });

  it('computes the step from milliseconds', () => {
    expect(totpStep(59_999)).toBe(1);
    expect(totpStep(60_000)).toBe(2);
    expect(totpStep(60_000, { period: 60 })).toBe(1);
  });
});

describe('verifyTotp', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of "12345678901234567890"
  const now = 1_234_567_890_000;
  const step = Math.floor(now / 30_000);
  const codeAt = (s: number): string => totp(secret, s * 30_000);

  it('accepts the current code and reports its step', () => {
    expect(verifyTotp(secret, codeAt(step), now)).toEqual({ ok: true, step });
  });

  it('accepts one step either side with the default window, not two', () => {
    expect(verifyTotp(secret, codeAt(step - 1), now)).toEqual({ ok: true, step: step - 1 });
    expect(verifyTotp(secret, codeAt(step + 1), now)).toEqual({ ok: true, step: step + 1 });
    expect(verifyTotp(secret, codeAt(step - 2), now)).toEqual({ ok: false });
    expect(verifyTotp(secret, codeAt(step + 2), now)).toEqual({ ok: false });
    expect(verifyTotp(secret, codeAt(step - 1), now, 0)).toEqual({ ok: false });
    expect(verifyTotp(secret, codeAt(step - 2), now, 2)).toEqual({ ok: true, step: step - 2 });
  });

  it('refuses wrong and malformed codes', () => {
    const good = codeAt(step);
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    for (const code of [wrong, '', '12345', '1234567', 'abcdef', `${good}\n`, '١٢٣٤٥٦']) {
      expect(verifyTotp(secret, code, now)).toEqual({ ok: false });
    }
    expect(verifyTotp(secret, undefined as unknown as string, now)).toEqual({ ok: false });
  });

  it('ignores spaces in the typed code', () => {
    const good = codeAt(step);
    expect(verifyTotp(secret, `${good.slice(0, 3)} ${good.slice(3)}`, now).ok).toBe(true);
  });

  it('rejects bad secrets and windows with errors', () => {
    expect(() => verifyTotp('not base32!', '123456', now)).toThrow(/invalid base32/);
    expect(() => verifyTotp(Buffer.alloc(0), '123456', now)).toThrow(/empty/);
    expect(() => verifyTotp(secret, '123456', now, -1)).toThrow(/window/);
    expect(() => totp(secret, now, { digits: 4 })).toThrow(/digits/);
  });
});

describe('TotpReplayGuard', () => {
  it('refuses the same step twice and older steps after a newer one', () => {
    const guard = new TotpReplayGuard();
    expect(guard.accept('alice', 100)).toBe(true);
    expect(guard.accept('alice', 100)).toBe(false);
    expect(guard.accept('alice', 99)).toBe(false);
    expect(guard.accept('bob', 100)).toBe(true);
    expect(guard.accept('alice', 101)).toBe(true);
    expect(guard.lastStep('alice')).toBe(101);
  });

  it('forgets steps that can no longer be presented', () => {
    const guard = new TotpReplayGuard();
    guard.accept('alice', 100);
    guard.accept('bob', 200);
    guard.sweep(200 * 30_000);
    expect(guard.size).toBe(1);
    expect(guard.lastStep('alice')).toBeUndefined();
    expect(guard.lastStep('bob')).toBe(200);
  });

  it('with verifyTotp: a code used once cannot be used again within its window', () => {
    const secret = generateTotpSecret();
    const now = 1_700_000_000_000;
    const guard = new TotpReplayGuard();
    const code = totp(secret, now);
    const first = verifyTotp(secret, code, now);
    expect(first.ok && guard.accept('u', first.step)).toBe(true);
    const again = verifyTotp(secret, code, now + 20_000);
    expect(again.ok).toBe(true); // still inside the window ...
    expect(again.ok && guard.accept('u', again.step)).toBe(false); // ... but a replay
  });
});

describe('base32: no Unicode case folding', () => {
  it('refuses letters that only upper-case into the alphabet', () => {
    expect(() => base32Decode('MZXW\u00dfTB')).toThrow(/U\+00DF at position 5/); // ß -> SS
    expect(() => base32Decode('MZXW6\u0131TB')).toThrow(/U\+0131 at position 6/); // ı -> I
  });
});
