/**
 * Login throttling, per source address and per user name.
 *
 * - Per source address: a token bucket holding `perIpPerMinute` attempts and refilled at
 *   that rate, evenly over the minute (default 10 per minute, bursts of 10). Every login
 *   attempt counts, right or wrong: this bounds both password guessing and the scrypt
 *   CPU and memory one client can make the gateway spend. IPv6 sources are grouped by their
 *   /64 (configurable), because one subscriber routinely holds a whole /64 and could
 *   otherwise rotate through 2^64 addresses; IPv4-mapped IPv6 addresses count as the IPv4
 *   address.
 * - Per user name: after `failuresBeforeLockout` failures (default 5, each within
 *   `failureWindowMs` of the previous one) the name is locked out for `lockoutBaseMs`
 *   (1 min); each further lockout doubles it, up to `lockoutMaxMs` (1 h). A success resets
 *   the name. The lock applies to every source and also refuses the right password, since
 *   otherwise it would still let guesses through. Names are tracked whether or not such a
 *   user exists, so a lockout does not reveal which names are real.
 *
 * Memory is bounded twice. Entries expire: a bucket that has refilled and a name with no
 * recent failure are equivalent to no entry at all and are dropped. And the number of tracked
 * addresses and names is capped (`maxTrackedIps`, `maxTrackedUsers`), because a flood of
 * random user names from many addresses can create entries faster than they expire. Maps
 * are kept in least-recently-used order; when one is full, the oldest entries are examined
 * and an expired one, or else the oldest one that is not currently locked out, is evicted.
 * Preferring unlocked entries keeps an attacker from flushing a victim's lockout by flooding
 * the table with junk names; what a flood can cost is a few in-progress failure counts.
 * Very long names are tracked by their hash so an entry has a bounded size.
 *
 * Times are milliseconds since the Unix epoch (`Date.now()`).
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface RateLimitOptions {
  /** Login attempts per source address per minute (also the largest burst). */
  readonly perIpPerMinute: number;
  /** Failures that lock a user name out. */
  readonly failuresBeforeLockout: number;
  /** A failure older than this (since the previous one) starts the count again. */
  readonly failureWindowMs: number;
  /** First lockout; doubled by each further one, up to `lockoutMaxMs`. */
  readonly lockoutBaseMs: number;
  readonly lockoutMaxMs: number;
  /** After this long with no failure, a name's lockout history is forgotten. */
  readonly lockoutForgetMs: number;
  /** Caps on the number of tracked source addresses / user names. */
  readonly maxTrackedIps: number;
  readonly maxTrackedUsers: number;
  /** IPv6 sources are grouped by this prefix length. */
  readonly ipv6PrefixLength: number;
}

export const DEFAULT_RATE_LIMIT_OPTIONS: Readonly<RateLimitOptions> = Object.freeze({
  perIpPerMinute: 10,
  failuresBeforeLockout: 5,
  failureWindowMs: 15 * 60_000,
  lockoutBaseMs: 60_000,
  lockoutMaxMs: 60 * 60_000,
  lockoutForgetMs: 24 * 60 * 60_000,
  // About 100-200 bytes an entry: a few megabytes at most.
  maxTrackedIps: 20_000,
  maxTrackedUsers: 20_000,
  ipv6PrefixLength: 64,
});

export type RateLimitVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface UserEntry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
  /** Lockouts so far (drives the doubling). */
  level: number;
}

const MINUTE = 60_000;
/** How many of the oldest entries an eviction looks at. */
const EVICTION_SCAN = 32;
const MAX_NAME_KEY = 128;

function parseIPv6(address: string): number[] | undefined {
  let text = address;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded IPv4 (::ffff:192.0.2.1): rewrite the dotted quad as two hexadecimal groups.
    if (!isIPv4(last)) return undefined;
    const o = last.split('.').map(Number) as [number, number, number, number];
    const hi = ((o[0] << 8) | o[1]).toString(16);
    const lo = ((o[2] << 8) | o[3]).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 && missing < 1) return undefined;
  const groups =
    halves.length === 2 ? [...head, ...new Array<number>(missing).fill(0), ...rest] : head;
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined;
  return groups;
}

/**
 * The key a source address is throttled under: the IPv4 address itself (also for
 * IPv4-mapped IPv6), or the IPv6 prefix of `prefixLength` bits.
 */
export function sourceKey(address: string, prefixLength = 64): string {
  if (isIPv4(address)) return address;
  if (isIPv6(address)) {
    const g = parseIPv6(address);
    if (g) {
      if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
        const a = g[6] ?? 0;
        const b = g[7] ?? 0;
        return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
      }
      const bits = Math.max(0, Math.min(128, prefixLength));
      const out: string[] = [];
      for (let i = 0; i < 8; i++) {
        const keep = Math.max(0, Math.min(16, bits - i * 16));
        const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
        out.push(((g[i] ?? 0) & mask).toString(16));
      }
      return `${out.join(':')}/${bits}`;
    }
  }
  // Not an address (should not happen with a real socket): still throttle, with a bounded key.
  return `?${String(address).slice(0, 64)}`;
}

/** The key a user name is tracked under: case- and normalisation-insensitive, bounded. */
export function userKey(name: string): string {
  const key = String(name).normalize('NFC').toLowerCase();
  if (key.length <= MAX_NAME_KEY) return key;
  return `#${createHash('sha256').update(key).digest('base64url')}`;
}

function resolveOptions(options: Partial<RateLimitOptions>): Readonly<RateLimitOptions> {
  // An option given as `undefined` (an unset config field) keeps its default.
  const given = Object.entries(options).filter(([, v]) => v !== undefined);
  const o: RateLimitOptions = { ...DEFAULT_RATE_LIMIT_OPTIONS, ...Object.fromEntries(given) };
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`rate limit option ${k} must be a number >= 0`);
    }
  }
  if (o.perIpPerMinute < 1 || o.failuresBeforeLockout < 1) {
    throw new Error('rate limit: perIpPerMinute and failuresBeforeLockout must be >= 1');
  }
  if (o.maxTrackedIps < 1 || o.maxTrackedUsers < 1) {
    throw new Error('rate limit: maxTrackedIps and maxTrackedUsers must be >= 1');
  }
  if (o.lockoutMaxMs < o.lockoutBaseMs) {
    throw new Error('rate limit: lockoutMaxMs must be >= lockoutBaseMs');
  }
  return Object.freeze(o);
}

function retryAfter(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export class LoginRateLimiter {
  #options: Readonly<RateLimitOptions>;
  readonly #ips = new Map<string, Bucket>();
  readonly #users = new Map<string, UserEntry>();

  constructor(options: Partial<RateLimitOptions> = {}) {
    this.#options = resolveOptions(options);
  }

  /** The limits in force, defaults filled in. */
  get options(): Readonly<RateLimitOptions> {
    return this.#options;
  }

  /**
   * Apply new limits (e.g. on a configuration reload) while keeping what is tracked, so a
   * reload does not lift lockouts in force. Throws, changing nothing, on invalid options.
   */
  reconfigure(options: Partial<RateLimitOptions>): void {
    this.#options = resolveOptions(options);
  }

  /**
   * May a login for `user` from `ip` go ahead? When it may, the attempt is counted against
   * the source address (so call it once per attempt, before checking the password). A
   * refused attempt costs nothing and must not be checked at all: answer 429 with
   * `Retry-After: retryAfterSeconds`.
   */
  check(ip: string, user: string, now: number = Date.now()): RateLimitVerdict {
    const entry = this.#touchUser(userKey(user), now, false);
    if (entry && now < entry.lockedUntil) {
      return { allowed: false, retryAfterSeconds: retryAfter(entry.lockedUntil - now) };
    }
    const bucket = this.#bucket(sourceKey(ip, this.options.ipv6PrefixLength), now);
    if (bucket.tokens < 1) {
      const perMs = this.options.perIpPerMinute / MINUTE;
      return { allowed: false, retryAfterSeconds: retryAfter((1 - bucket.tokens) / perMs) };
    }
    bucket.tokens -= 1;
    return { allowed: true };
  }

  /**
   * Record a failed login for `user` (wrong password, unknown user, wrong one-time code:
   * all the same). Returns the verdict for the next attempt, so the caller may log a lockout.
   * The source address is already accounted for by `check`; it is taken here for symmetry
   * and for future per-source policies.
   */
  recordFailure(_sourceIp: string, user: string, now: number = Date.now()): RateLimitVerdict {
    const o = this.options;
    const entry = this.#touchUser(userKey(user), now, true) as UserEntry;
    if (entry.failures > 0 && now - entry.lastFailureAt > o.failureWindowMs) {
      entry.failures = 0;
    }
    entry.failures += 1;
    entry.lastFailureAt = now;
    if (entry.failures >= o.failuresBeforeLockout) {
      entry.level += 1;
      const duration = Math.min(o.lockoutMaxMs, o.lockoutBaseMs * 2 ** (entry.level - 1));
      entry.lockedUntil = now + duration;
      entry.failures = 0;
      return { allowed: false, retryAfterSeconds: retryAfter(duration) };
    }
    return { allowed: true };
  }

  /** Record a successful login: the name's failure count and lockout history are reset. */
  recordSuccess(_sourceIp: string, user: string, _now: number = Date.now()): void {
    this.#users.delete(userKey(user));
  }

  /** Drop every expired entry (optional: expiry also happens lazily). */
  sweep(now: number = Date.now()): void {
    for (const [k, b] of this.#ips) if (this.#bucketStale(b, now)) this.#ips.delete(k);
    for (const [k, u] of this.#users) if (this.#userStale(u, now)) this.#users.delete(k);
  }

  /** Numbers of tracked addresses and names (for metrics and tests). */
  get trackedIps(): number {
    return this.#ips.size;
  }
  get trackedUsers(): number {
    return this.#users.size;
  }

  #bucketStale(b: Bucket, now: number): boolean {
    const o = this.options;
    return b.tokens + ((now - b.updatedAt) * o.perIpPerMinute) / MINUTE >= o.perIpPerMinute;
  }

  #userStale(u: UserEntry, now: number): boolean {
    if (now < u.lockedUntil) return false;
    const quiet = now - Math.max(u.lastFailureAt, u.lockedUntil);
    return u.level > 0
      ? quiet >= this.options.lockoutForgetMs
      : quiet >= this.options.failureWindowMs;
  }

  #bucket(key: string, now: number): Bucket {
    const o = this.options;
    let b = this.#ips.get(key);
    if (b) {
      this.#ips.delete(key); // re-inserted below: most recently used last
      b.tokens = Math.min(
        o.perIpPerMinute,
        b.tokens + ((now - b.updatedAt) * o.perIpPerMinute) / MINUTE,
      );
      b.updatedAt = Math.max(b.updatedAt, now);
    } else {
      makeRoom(
        this.#ips,
        o.maxTrackedIps,
        (x) => this.#bucketStale(x, now),
        () => false,
      );
      b = { tokens: o.perIpPerMinute, updatedAt: now };
    }
    this.#ips.set(key, b);
    return b;
  }

  #touchUser(key: string, now: number, create: boolean): UserEntry | undefined {
    let u = this.#users.get(key);
    if (u && this.#userStale(u, now)) {
      this.#users.delete(key);
      u = undefined;
    }
    if (u) {
      this.#users.delete(key);
      this.#users.set(key, u);
      return u;
    }
    if (!create) return undefined;
    makeRoom(
      this.#users,
      this.options.maxTrackedUsers,
      (x) => this.#userStale(x, now),
      (x) => now < x.lockedUntil,
    );
    u = { failures: 0, lastFailureAt: now, lockedUntil: 0, level: 0 };
    this.#users.set(key, u);
    return u;
  }
}

/**
 * Make room for one more entry in an LRU-ordered map: drop stale entries among the oldest
 * `EVICTION_SCAN`; if still full, evict the oldest unprotected one among them, or else the
 * oldest of all.
 */
function makeRoom<V>(
  map: Map<string, V>,
  cap: number,
  stale: (v: V) => boolean,
  protect: (v: V) => boolean,
): void {
  if (map.size < cap) return;
  let scanned = 0;
  let victim: string | undefined;
  for (const [k, v] of map) {
    if (scanned++ >= EVICTION_SCAN) break;
    if (stale(v)) map.delete(k);
    else if (victim === undefined && !protect(v)) victim = k;
  }
  while (map.size >= cap) {
    const key = victim ?? map.keys().next().value;
    if (key === undefined) return;
    map.delete(key);
    victim = undefined;
  }
}
