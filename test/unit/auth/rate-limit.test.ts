import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_LIMIT_OPTIONS,
  LoginRateLimiter,
  sourceKey,
  userKey,
} from '../../../src/gateway/auth/rate-limit.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe('defaults', () => {
  it('are the documented ones', () => {
    expect(DEFAULT_RATE_LIMIT_OPTIONS).toMatchObject({
      perIpPerMinute: 10,
      failuresBeforeLockout: 5,
      lockoutBaseMs: MIN,
      lockoutMaxMs: 60 * MIN,
    });
    expect(new LoginRateLimiter({ perIpPerMinute: undefined }).options.perIpPerMinute).toBe(10);
  });

  it('refuses nonsense options', () => {
    expect(() => new LoginRateLimiter({ perIpPerMinute: 0 })).toThrow();
    expect(() => new LoginRateLimiter({ lockoutBaseMs: -1 })).toThrow();
    expect(() => new LoginRateLimiter({ maxTrackedUsers: Number.NaN })).toThrow();
    expect(() => new LoginRateLimiter({ lockoutBaseMs: 10, lockoutMaxMs: 5 })).toThrow();
  });
});

describe('per source address', () => {
  it('allows 10 attempts a minute, then refuses with Retry-After, then refills', () => {
    const rl = new LoginRateLimiter();
    for (let i = 0; i < 10; i++)
      expect(rl.check('192.0.2.1', `u${i}`, T0)).toEqual({ allowed: true });
    expect(rl.check('192.0.2.1', 'x', T0)).toEqual({
      allowed: false,
      retryAfterSeconds: 6,
      reason: 'rate-limited',
    });
    expect(rl.check('192.0.2.1', 'x', T0 + 5_000).allowed).toBe(false);
    expect(rl.check('192.0.2.1', 'x', T0 + 6_000).allowed).toBe(true);
    expect(rl.check('192.0.2.1', 'x', T0 + 6_000).allowed).toBe(false);
    // Other sources are not affected.
    expect(rl.check('192.0.2.2', 'x', T0).allowed).toBe(true);
    // A quiet minute restores the whole burst.
    for (let i = 0; i < 10; i++)
      expect(rl.check('192.0.2.1', 'x', T0 + 2 * MIN).allowed).toBe(true);
    expect(rl.check('192.0.2.1', 'x', T0 + 2 * MIN).allowed).toBe(false);
  });

  it('counts successes too (every attempt costs a scrypt run)', () => {
    const rl = new LoginRateLimiter({ perIpPerMinute: 2 });
    rl.check('192.0.2.1', 'alice', T0);
    rl.recordSuccess('192.0.2.1', 'alice', T0);
    rl.check('192.0.2.1', 'alice', T0);
    rl.recordSuccess('192.0.2.1', 'alice', T0);
    expect(rl.check('192.0.2.1', 'alice', T0).allowed).toBe(false);
  });

  it('groups IPv6 sources by /64 and IPv4-mapped addresses with IPv4', () => {
    const rl = new LoginRateLimiter({ perIpPerMinute: 2 });
    expect(rl.check('2001:db8:1:2::1', 'a', T0).allowed).toBe(true);
    expect(rl.check('2001:db8:1:2:ffff:1:2:3', 'a', T0).allowed).toBe(true);
    expect(rl.check('2001:db8:1:2:abcd::9', 'a', T0).allowed).toBe(false);
    expect(rl.check('2001:db8:1:3::1', 'a', T0).allowed).toBe(true);
    expect(rl.check('198.51.100.7', 'a', T0).allowed).toBe(true);
    expect(rl.check('::ffff:198.51.100.7', 'a', T0).allowed).toBe(true);
    expect(rl.check('::ffff:c633:6407', 'a', T0).allowed).toBe(false);
  });
});

describe('sourceKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:C000:0201', '192.0.2.1'],
    ['2001:db8::1', '2001:db8:0:0:0:0:0:0/64'],
    ['2001:DB8:0:0:1:2:3:4', '2001:db8:0:0:0:0:0:0/64'],
    ['2001:db8:aaaa:bbbb:cccc::', '2001:db8:aaaa:bbbb:0:0:0:0/64'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:0/64'],
    ['::1', '0:0:0:0:0:0:0:0/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0:0:0:0:0/64'],
  ])('%s -> %s', (ip, key) => {
    expect(sourceKey(ip)).toBe(key);
  });

  it('honours the prefix length', () => {
    expect(sourceKey('2001:db8:1234:5678::1', 48)).toBe('2001:db8:1234:0:0:0:0:0/48');
    expect(sourceKey('2001:db8:1234:5678::1', 56)).toBe('2001:db8:1234:5600:0:0:0:0/56');
    expect(sourceKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
  });

  it('bounds keys for non-addresses', () => {
    expect(sourceKey('x'.repeat(1000))).toHaveLength(65);
  });
});

describe('per user name and source', () => {
  const fail = (rl: LoginRateLimiter, user: string, n: number, now: number, ip = '192.0.2.1') => {
    for (let i = 0; i < n; i++) rl.recordFailure(ip, user, now);
  };

  it('locks the name out at that source after 5 failures, the right password too', () => {
    const rl = new LoginRateLimiter();
    fail(rl, 'alice', 4, T0);
    expect(rl.check('192.0.2.1', 'alice', T0).allowed).toBe(true);
    expect(rl.recordFailure('192.0.2.1', 'alice', T0)).toEqual({
      allowed: false,
      retryAfterSeconds: 60,
      reason: 'locked-out',
    });
    expect(rl.check('192.0.2.1', 'alice', T0 + 1_000)).toEqual({
      allowed: false,
      retryAfterSeconds: 59,
      reason: 'locked-out',
    });
    expect(rl.check('192.0.2.1', 'alice', T0 + 59_500)).toMatchObject({ retryAfterSeconds: 1 });
    expect(rl.check('192.0.2.1', 'bob', T0).allowed).toBe(true);
    expect(rl.check('192.0.2.1', 'alice', T0 + MIN).allowed).toBe(true);
  });

  it('never locks the name out at another source (issue #8: anyone could lock out anyone)', () => {
    const rl = new LoginRateLimiter();
    // Five wrong passwords for "ALICE" from the attacker's address...
    fail(rl, 'ALICE', 8, T0, '203.0.113.66');
    expect(rl.check('203.0.113.66', 'alice', T0).allowed).toBe(false);
    // ...leave alice free at her own address, and at any other.
    expect(rl.check('192.0.2.9', 'alice', T0)).toEqual({ allowed: true });
    expect(rl.check('198.51.100.1', 'Alice', T0)).toEqual({ allowed: true });
  });

  it('compares names in one canonical form', () => {
    const rl = new LoginRateLimiter();
    fail(rl, 'Alice', 3, T0);
    fail(rl, 'ALICE', 2, T0);
    expect(rl.check('192.0.2.1', 'alice', T0).allowed).toBe(false);
    // Composed and decomposed é are one name; fullwidth letters are another name.
    fail(rl, 'Ren\u00e9', 3, T0);
    fail(rl, 'rene\u0301', 2, T0);
    expect(rl.check('192.0.2.1', 'RENÉ', T0).allowed).toBe(false);
    expect(userKey('Ａlice')).not.toBe(userKey('alice'));
    expect(userKey('x'.repeat(10_000)).length).toBeLessThan(64);
  });

  it('doubles each lockout of the pair up to the cap', () => {
    const rl = new LoginRateLimiter({ lockoutBaseMs: MIN, lockoutMaxMs: 5 * MIN });
    let now = T0;
    const durations: number[] = [];
    for (let round = 0; round < 5; round++) {
      fail(rl, 'alice', 5, now);
      const v = rl.check('192.0.2.1', 'alice', now);
      expect(v.allowed).toBe(false);
      const seconds = v.allowed ? 0 : v.retryAfterSeconds;
      durations.push(seconds);
      now += seconds * 1000;
      expect(rl.check('192.0.2.1', 'alice', now - 1_000).allowed).toBe(false);
      expect(rl.check('192.0.2.1', 'alice', now).allowed).toBe(true);
    }
    expect(durations).toEqual([60, 120, 240, 300, 300]);
  });

  it('a success resets the pair', () => {
    const rl = new LoginRateLimiter();
    fail(rl, 'alice', 5, T0);
    let now = T0 + MIN;
    fail(rl, 'alice', 4, now);
    rl.recordSuccess('192.0.2.1', 'alice', now);
    fail(rl, 'alice', 4, now);
    expect(rl.check('192.0.2.1', 'alice', now).allowed).toBe(true);
    fail(rl, 'alice', 1, now);
    // Back to the first, shortest lockout.
    expect(rl.check('192.0.2.1', 'alice', now)).toMatchObject({ retryAfterSeconds: 60 });
    now += MIN;
    expect(rl.check('192.0.2.1', 'alice', now).allowed).toBe(true);
  });

  it('forgets failures spaced further apart than the failure window', () => {
    const rl = new LoginRateLimiter({ failureWindowMs: 10 * MIN });
    for (let i = 0; i < 10; i++) rl.recordFailure('192.0.2.1', 'alice', T0 + i * 11 * MIN);
    expect(rl.check('192.0.2.1', 'alice', T0 + 100 * MIN).allowed).toBe(true);
  });

  it('forgets the lockout history after a quiet day', () => {
    const rl = new LoginRateLimiter();
    fail(rl, 'alice', 5, T0);
    const later = T0 + 25 * 60 * MIN;
    fail(rl, 'alice', 5, later);
    expect(rl.check('192.0.2.1', 'alice', later)).toMatchObject({ retryAfterSeconds: 60 });
  });

  it('a reconfigure keeps lockouts in force', () => {
    const rl = new LoginRateLimiter();
    fail(rl, 'alice', 5, T0);
    rl.reconfigure({ perIpPerMinute: 20 });
    expect(rl.options.perIpPerMinute).toBe(20);
    expect(rl.check('192.0.2.1', 'alice', T0).allowed).toBe(false);
    expect(() => rl.reconfigure({ perIpPerMinute: -3 })).toThrow();
    expect(rl.options.perIpPerMinute).toBe(20);
  });
});

describe('per user name across sources', () => {
  /** One wrong password for `user` from each of `count` addresses of 10.1.0.0/16. */
  const spread = (rl: LoginRateLimiter, user: string, count: number, now: number, base = 0) => {
    for (let i = base; i < base + count; i++)
      rl.recordFailure(`10.1.${i >> 8}.${i & 255}`, user, now);
  };

  it('slows a campaign from many addresses: past the ceiling one failure locks an address out', () => {
    const rl = new LoginRateLimiter({ userFailuresPerHour: 10 });
    spread(rl, 'alice', 10, T0);
    // Each address failed once, under the per-source threshold: nothing is locked.
    expect(rl.check('10.1.0.3', 'alice', T0).allowed).toBe(true);
    // The 11th failure across sources puts the name under attack.
    expect(rl.recordFailure('198.51.100.1', 'alice', T0)).toMatchObject({
      allowed: false,
      reason: 'locked-out',
    });
    expect(rl.recordFailure('10.1.0.3', 'alice', T0)).toMatchObject({ allowed: false });
    // A source that has not failed is never refused: a right password works from there.
    expect(rl.check('198.51.100.2', 'alice', T0)).toEqual({ allowed: true });
    // Other names are not affected.
    expect(rl.recordFailure('198.51.100.3', 'bob', T0)).toEqual({ allowed: true });
  });

  it('exempts the addresses the user logged in from', () => {
    const rl = new LoginRateLimiter({ userFailuresPerHour: 10 });
    rl.recordSuccess('192.0.2.7', 'alice', T0);
    spread(rl, 'ALICE', 30, T0 + 1);
    // Her usual address keeps the normal threshold of 5 even while the name is under attack.
    for (let i = 0; i < 4; i++)
      expect(rl.recordFailure('192.0.2.7', 'alice', T0 + 2)).toEqual({ allowed: true });
    expect(rl.check('192.0.2.7', 'alice', T0 + 2).allowed).toBe(true);
    // ...for 30 days after her last login there.
    const later = T0 + 31 * 24 * 60 * MIN;
    spread(rl, 'alice', 30, later);
    expect(rl.recordFailure('192.0.2.7', 'alice', later)).toMatchObject({ allowed: false });
  });

  it('ends the campaign state within an hour of the last failure', () => {
    const rl = new LoginRateLimiter({ userFailuresPerHour: 10 });
    spread(rl, 'alice', 1000, T0);
    expect(rl.recordFailure('198.51.100.8', 'alice', T0 + 59 * MIN)).toMatchObject({
      allowed: false,
    });
    // However long the campaign, an hour after its last failure the name is back to normal.
    const later = T0 + 119 * MIN;
    expect(rl.recordFailure('198.51.100.9', 'alice', later)).toEqual({ allowed: true });
  });
});

describe('bounded memory', () => {
  it('caps tracked names under a flood of random ones, keeping active lockouts', () => {
    const rl = new LoginRateLimiter({ maxTrackedUsers: 100 });
    for (let i = 0; i < 5; i++) rl.recordFailure('192.0.2.1', 'victim', T0);
    for (let i = 0; i < 20_000; i++) {
      rl.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `junk-${i}`, T0 + 1);
    }
    expect(rl.trackedUsers).toBeLessThanOrEqual(100);
    expect(rl.check('192.0.2.1', 'victim', T0 + 2).allowed).toBe(false);
  });

  it('caps tracked sources', () => {
    const rl = new LoginRateLimiter({ maxTrackedIps: 50 });
    for (let i = 0; i < 5_000; i++) rl.check(`10.0.${i >> 8}.${i & 255}`, 'a', T0);
    expect(rl.trackedIps).toBeLessThanOrEqual(50);
  });

  it('drops expired entries on sweep', () => {
    const rl = new LoginRateLimiter();
    for (let i = 0; i < 100; i++) {
      rl.check(`10.0.0.${i}`, `u${i}`, T0);
      rl.recordFailure(`10.0.0.${i}`, `u${i}`, T0);
    }
    for (let i = 0; i < 5; i++) rl.recordFailure('10.0.0.1', 'locked', T0);
    expect(rl.trackedIps).toBe(100);
    expect(rl.trackedUsers).toBe(101);
    rl.sweep(T0 + MIN);
    expect(rl.trackedIps).toBe(0);
    expect(rl.trackedUsers).toBe(101); // failures are remembered for the failure window
    rl.sweep(T0 + 16 * MIN);
    expect(rl.trackedUsers).toBe(1); // the lockout history is kept longer
    rl.sweep(T0 + 25 * 60 * MIN);
    expect(rl.trackedUsers).toBe(0);
  });
});
