import { describe, expect, it } from 'vitest';
import {
  DUMMY_HASH,
  formatPasswordHash,
  hashPassword,
  isPasswordHash,
  makeDummyHash,
  parsePasswordHash,
  verifyDummy,
  verifyPassword,
} from '../../../src/gateway/auth/password.js';

const FORMAT = /^scrypt\$N=32768,r=8,p=1\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

describe('hashPassword / verifyPassword', () => {
  it('produces the self-describing format with a 16-byte salt and a 32-byte key', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    const m = FORMAT.exec(encoded);
    expect(m).not.toBeNull();
    expect(Buffer.from(m?.[1] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(m?.[2] ?? '', 'base64')).toHaveLength(32);
  });

  it('round-trips and refuses a wrong password', async () => {
    const encoded = await hashPassword('s3cret!');
    expect(await verifyPassword('s3cret!', encoded)).toBe(true);
    expect(await verifyPassword('s3cret', encoded)).toBe(false);
    expect(await verifyPassword('S3cret!', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const a = await hashPassword('same');
    const b = await hashPassword('same');
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('normalises Unicode (NFC) so composed and decomposed input match', async () => {
    const encoded = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', encoded)).toBe(true);
  });

  it('refuses to hash an empty password', async () => {
    await expect(hashPassword('')).rejects.toThrow(/non-empty/);
  });

  it('verifies hashes with other (bounded) parameters', async () => {
    const salt = Buffer.alloc(16, 7);
    const { scryptSync } = await import('node:crypto');
    const key = scryptSync('pw', salt, 24, { N: 1024, r: 8, p: 1 });
    const encoded = formatPasswordHash({ N: 1024, r: 8, p: 1 }, salt, key);
    expect(await verifyPassword('pw', encoded)).toBe(true);
    expect(await verifyPassword('px', encoded)).toBe(false);
  });
});

describe('malformed encodings', () => {
  const salt = Buffer.alloc(16, 1).toString('base64');
  const key = Buffer.alloc(32, 2).toString('base64');
  const cases: [string, RegExp][] = [
    ['', /expected "scrypt\$/],
    ['plaintext-password', /expected "scrypt\$/],
    [`bcrypt$N=32768,r=8,p=1$${salt}$${key}`, /expected "scrypt\$/],
    [`scrypt$N=32768,r=8,p=1$${salt}`, /expected "scrypt\$/],
    [`scrypt$N=32768,r=8,p=1$${salt}$${key}$extra`, /expected "scrypt\$/],
    [`scrypt$N=32768;r=8;p=1$${salt}$${key}`, /bad scrypt parameters/],
    [`scrypt$r=8,p=1$${salt}$${key}`, /bad scrypt parameters/],
    [`scrypt$N=1000,r=8,p=1$${salt}$${key}`, /power of two/],
    [`scrypt$N=${2 ** 30},r=8,p=1$${salt}$${key}`, /power of two between/],
    [`scrypt$N=32768,r=0,p=1$${salt}$${key}`, /r must be/],
    [`scrypt$N=32768,r=8,p=99$${salt}$${key}`, /p must be/],
    [`scrypt$N=1048576,r=32,p=16$${salt}$${key}`, /1 GiB/],
    [`scrypt$N=32768,r=8,p=1$not*base64$${key}`, /salt is not base64/],
    [`scrypt$N=32768,r=8,p=1$${salt}$`, /hash is not base64/],
    [`scrypt$N=32768,r=8,p=1$${Buffer.alloc(8).toString('base64')}$${key}`, /salt is 8 bytes/],
    [`scrypt$N=32768,r=8,p=1$${salt}$${Buffer.alloc(8).toString('base64')}`, /hash is 8 bytes/],
    [`scrypt$N=32768,r=8,p=1$${salt}$${key.replace(/I=$/, 'J=')}`, /not canonical base64/],
  ];
  it.each(cases)('rejects %j', async (encoded, message) => {
    expect(() => parsePasswordHash(encoded)).toThrow(message);
    expect(isPasswordHash(encoded)).toBe(false);
    await expect(verifyPassword('x', encoded)).rejects.toThrow(message);
  });

  it('rejects a non-string', () => {
    expect(isPasswordHash(42)).toBe(false);
    expect(() => parsePasswordHash(undefined as unknown as string)).toThrow(/string/);
  });
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

describe('dummy verification (unknown users)', () => {
  it('is a well-formed hash with the default parameters, and never matches', async () => {
    expect(parsePasswordHash(DUMMY_HASH).params).toEqual({ N: 32768, r: 8, p: 1 });
    expect(await verifyDummy('')).toBe(false);
    expect(await verifyDummy('anything')).toBe(false);
  });

  it('makeDummyHash follows the given parameters', () => {
    const parsed = parsePasswordHash(makeDummyHash({ N: 16384, r: 8, p: 1 }, 16, 64));
    expect(parsed.params.N).toBe(16384);
    expect(parsed.hash).toHaveLength(64);
  });

  it('costs a real scrypt run: as long as verifying a real hash, within a broad factor', async () => {
    const real = await hashPassword('real password');
    await verifyPassword('warm up', real);
    const realTimes: number[] = [];
    const dummyTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      realTimes.push(await timed(() => verifyPassword('wrong', real)));
      dummyTimes.push(await timed(() => verifyDummy('wrong')));
    }
    const r = median(realTimes);
    const d = median(dummyTimes);
    // N = 32768 takes tens of milliseconds: an early return would take microseconds.
    expect(r).toBeGreaterThan(5);
    expect(d).toBeGreaterThan(r / 3);
    expect(d).toBeLessThan(r * 3);
  });
});
