import { randomBytes, scryptSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../../src/gateway/auth/authenticate.js';
import {
  formatPasswordHash,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from '../../../src/gateway/auth/password.js';
import { TotpReplayGuard, generateTotpSecret, totp } from '../../../src/gateway/auth/totp.js';
import { parseUsers, type UserDirectory } from '../../../src/gateway/auth/users.js';
import * as auth from '../../../src/gateway/auth/index.js';

const SECRET = generateTotpSecret();
const NOW = 1_700_000_000_000;
let dir: UserDirectory;
let aliceHash: string;

beforeAll(async () => {
  aliceHash = await hashPassword('alice-pw');
  const bobHash = await hashPassword('bob-pw');
  dir = parseUsers(
    [
      `- { name: alice, password: "${aliceHash}", groups: [staff] }`,
      `- { name: bob, password: "${bobHash}", totp: ${SECRET} }`,
    ].join('\n'),
    'users.yaml',
  );
});

describe('authenticate', () => {
  it('accepts the right password', async () => {
    const r = await authenticate(dir, 'alice', 'alice-pw', undefined, NOW, new TotpReplayGuard());
    expect(r).toMatchObject({ ok: true, user: { name: 'alice', groups: ['staff'] } });
  });

  it('ignores a one-time code sent for a user without TOTP', async () => {
    const r = await authenticate(dir, 'alice', 'alice-pw', '123456', NOW, new TotpReplayGuard());
    expect(r.ok).toBe(true);
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    const guard = new TotpReplayGuard();
    const wrong = await authenticate(dir, 'alice', 'nope', undefined, NOW, guard);
    const unknown = await authenticate(dir, 'mallory', 'alice-pw', undefined, NOW, guard);
    expect(wrong).toEqual({ ok: false, reason: 'invalid-credentials' });
    expect(unknown).toEqual(wrong);
  });

  it('asks for the code only once the password is right', async () => {
    const guard = new TotpReplayGuard();
    expect(await authenticate(dir, 'bob', 'bob-pw', undefined, NOW, guard)).toEqual({
      ok: false,
      reason: 'otp-required',
    });
    expect(await authenticate(dir, 'bob', 'bob-pw', '', NOW, guard)).toEqual({
      ok: false,
      reason: 'otp-required',
    });
    expect(await authenticate(dir, 'bob', 'wrong', undefined, NOW, guard)).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
    // A right code does not help a wrong password, and is not consumed by it.
    const code = totp(SECRET, NOW);
    expect(await authenticate(dir, 'bob', 'wrong', code, NOW, guard)).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
    expect(guard.size).toBe(0);
  });

  it('checks the code and refuses its replay', async () => {
    const guard = new TotpReplayGuard();
    const code = totp(SECRET, NOW);
    const bad = code === '000000' ? '000001' : '000000';
    expect(await authenticate(dir, 'bob', 'bob-pw', bad, NOW, guard)).toEqual({
      ok: false,
      reason: 'invalid-otp',
    });
    expect(await authenticate(dir, 'bob', 'bob-pw', code, NOW, guard)).toMatchObject({
      ok: true,
      user: { name: 'bob' },
    });
    expect(await authenticate(dir, 'bob', 'bob-pw', code, NOW + 5_000, guard)).toEqual({
      ok: false,
      reason: 'invalid-otp',
    });
    const next = totp(SECRET, NOW + 30_000);
    expect((await authenticate(dir, 'bob', 'bob-pw', next, NOW + 30_000, guard)).ok).toBe(true);
  });

  it('looks names up case-insensitively and reports the canonical name', async () => {
    const r = await authenticate(dir, 'ALICE', 'alice-pw', undefined, NOW, new TotpReplayGuard());
    expect(r).toMatchObject({ ok: true, user: { name: 'alice' } });
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

describe('timing parity', () => {
  it('an unknown user costs a scrypt run, like a wrong password', async () => {
    const guard = new TotpReplayGuard();
    // Baseline: one scrypt verification with the same parameters.
    await verifyPassword('x', aliceHash);
    const baseline: number[] = [];
    const wrongPassword: number[] = [];
    const unknownUser: number[] = [];
    for (let i = 0; i < 5; i++) {
      baseline.push(await timed(() => verifyPassword('x', aliceHash)));
      wrongPassword.push(await timed(() => authenticate(dir, 'alice', 'x', undefined, NOW, guard)));
      unknownUser.push(await timed(() => authenticate(dir, 'nobody', 'x', undefined, NOW, guard)));
    }
    const b = median(baseline);
    const w = median(wrongPassword);
    const u = median(unknownUser);
    expect(b).toBeGreaterThan(5); // a real scrypt run, not a shortcut
    for (const t of [w, u]) {
      expect(t).toBeGreaterThan(b / 3);
      expect(t).toBeLessThan(b * 3);
    }
    expect(u / w).toBeGreaterThan(1 / 3);
    expect(u / w).toBeLessThan(3);
  });

  it('the dummy hash follows the parameters the users file uses', () => {
    const salt = randomBytes(16);
    const params = { N: 1024, r: 8, p: 1 };
    const cheap = formatPasswordHash(params, salt, scryptSync('pw', salt, 32, params));
    const d = parseUsers(`- { name: a, password: "${cheap}" }`, 'users.yaml');
    expect(parsePasswordHash(d.dummyHash).params).toEqual(params);
    expect(parsePasswordHash(d.dummyHash).hash).toHaveLength(32);
  });
});

describe('index', () => {
  it('re-exports the building blocks', () => {
    for (const name of [
      'hashPassword',
      'verifyPassword',
      'verifyDummy',
      'DUMMY_HASH',
      'verifyTotp',
      'base32Decode',
      'TotpReplayGuard',
      'TokenStore',
      'parseBearer',
      'LoginRateLimiter',
      'DEFAULT_RATE_LIMIT_OPTIONS',
      'loadUsers',
      'UserDirectory',
      'authenticate',
      'ConfigError',
    ]) {
      expect(auth).toHaveProperty(name);
    }
  });
});
