/**
 * Login throttling and lockout, keyed so that nobody can lock another person out.
 *
 * - Per source address: a token bucket holding `perIpPerMinute` attempts and refilled at
 *   that rate, evenly over the minute. Every login attempt counts, right or wrong: this
 *   bounds both password guessing and the scrypt CPU and memory one client can make the
 *   gateway spend. IPv6 sources are grouped by their /64 (configurable), because one
 *   subscriber routinely holds a whole /64 and could otherwise rotate through 2^64 addresses;
 *   IPv4-mapped IPv6 addresses count as the IPv4 address.
 * - Per user name and source: after `failuresBeforeLockout` failures (default 5, each within
 *   `failureWindowMs` of the previous one) of one name from one source, that pair is locked
 *   out for `lockoutBaseMs` (1 min); each further lockout of the pair doubles it, up to
 *   `lockoutMaxMs` (1 h). While locked, the pair's attempts are refused without a password
 *   check, the right password included (otherwise guessing would go on). Other sources are
 *   not affected: five wrong passwords for "ALICE" from an attacker's address lock that
 *   address out of "alice", not Alice at hers. A success resets the pair.
 * - Per user name, all sources together: failures fill a bucket that drains at
 *   `userFailuresPerHour` an hour. Past that ceiling (a guessing campaign from many
 *   addresses, each staying under the per-source threshold), the name is under attack: one
 *   failure from a source the user has not logged in from within `familiarForMs` locks that
 *   pair at once. This slows a distributed attack to one guess per address and lockout
 *   period, and never refuses an attempt that has not failed: the user's right password
 *   still works from her usual addresses, and from any address that has not failed.
 *
 * Names are compared in one canonical form (`canonicalUserName`: Unicode NFC, lower case),
 * the form the users file is looked up in. Names are tracked whether or not such a user
 * exists, so a lockout does not reveal which names are real.
 *
 * Memory is bounded twice. Entries expire: a bucket that has refilled and a pair with no
 * recent failure are equivalent to no entry at all and are dropped. And the number of tracked
 * addresses, pairs and names is capped (`maxTrackedIps`, `maxTrackedUsers`), because a flood
 * of random user names from many addresses can create entries faster than they expire. Maps
 * are kept in least-recently-used order; when one is full, the oldest entries are examined
 * and an expired one, or else the oldest one that is not currently locked out (or under
 * attack), is evicted. Preferring those keeps an attacker from flushing a lockout by flooding
 * the table with junk names; what a flood can cost is a few in-progress failure counts. The
 * sources a user logged in from are kept apart: only a right password adds to them.
 * Very long names are tracked by their hash so an entry has a bounded size.
 *
 * Times are milliseconds since the Unix epoch (`Date.now()`).
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalUserName } from './user-name.js';

export interface RateLimitOptions {
  /** Login attempts per source address per minute (also the largest burst). */
  readonly perIpPerMinute: number;
  /** Failures of one name from one source that lock that pair out. */
  readonly failuresBeforeLockout: number;
  /** A failure older than this (since the previous one) starts the count again. */
  readonly failureWindowMs: number;
  /** First lockout; doubled by each further one, up to `lockoutMaxMs`. */
  readonly lockoutBaseMs: number;
  readonly lockoutMaxMs: number;
  /** After this long with no failure, a pair's lockout history is forgotten. */
  readonly lockoutForgetMs: number;
  /** Failures of one name from all sources an hour, past which the name is under attack. */
  readonly userFailuresPerHour: number;
  /** How long a source where the user logged in stays exempt from the under-attack rule. */
  readonly familiarForMs: number;
  /** Caps on the number of tracked source addresses / user names (and name-source pairs). */
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
  userFailuresPerHour: 50,
  familiarForMs: 30 * 24 * 60 * 60_000,
  // About 100-200 bytes an entry: a few megabytes at most.
  maxTrackedIps: 20_000,
  maxTrackedUsers: 20_000,
  ipv6PrefixLength: 64,
});

/** Why an attempt was refused: the source's budget, or the name's lockout at this source. */
export type RefusalReason = 'rate-limited' | 'locked-out';

export type RateLimitVerdict =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly reason: RefusalReason;
    };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** One user name at one source. */
interface PairEntry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
  /** Lockouts so far (drives the doubling). */
  level: number;
}

/** One user name, all sources together. */
interface NameEntry {
  /** Failures in the bucket, drained at `userFailuresPerHour` an hour. */
  failures: number;
  updatedAt: number;
}

/** Sources a user logged in from, with the time of the last success from each. */
type Familiar = Map<string, number>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Sources remembered per user as ones she logged in from. */
const MAX_FAMILIAR_SOURCES = 16;
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
  const key = canonicalUserName(String(name));
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
  if (o.perIpPerMinute < 1 || o.failuresBeforeLockout < 1 || o.userFailuresPerHour < 1) {
    throw new Error(
      'rate limit: perIpPerMinute, failuresBeforeLockout and userFailuresPerHour must be >= 1',
    );
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
  readonly #pairs = new Map<string, PairEntry>();
  readonly #names = new Map<string, NameEntry>();
  readonly #familiar = new Map<string, Familiar>();

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
    const source = sourceKey(ip, this.options.ipv6PrefixLength);
    const pair = this.#touchPair(pairKey(userKey(user), source), now, false);
    if (pair && now < pair.lockedUntil) {
      return {
        allowed: false,
        retryAfterSeconds: retryAfter(pair.lockedUntil - now),
        reason: 'locked-out',
      };
    }
    const bucket = this.#bucket(source, now);
    if (bucket.tokens < 1) {
      const perMs = this.options.perIpPerMinute / MINUTE;
      return {
        allowed: false,
        retryAfterSeconds: retryAfter((1 - bucket.tokens) / perMs),
        reason: 'rate-limited',
      };
    }
    bucket.tokens -= 1;
    return { allowed: true };
  }

  /**
   * Record a failed login for `user` from `ip` (wrong password, unknown user, wrong one-time
   * code: all the same). Returns the verdict for the next attempt from that source, so the
   * caller may log a lockout.
   */
  recordFailure(ip: string, user: string, now: number = Date.now()): RateLimitVerdict {
    const o = this.options;
    const name = userKey(user);
    const source = sourceKey(ip, o.ipv6PrefixLength);
    const underAttack = this.#countNameFailure(name, now) > o.userFailuresPerHour;
    const pair = this.#touchPair(pairKey(name, source), now, true) as PairEntry;
    if (pair.failures > 0 && now - pair.lastFailureAt > o.failureWindowMs) pair.failures = 0;
    pair.failures += 1;
    pair.lastFailureAt = now;
    const threshold =
      underAttack && !this.#isFamiliar(name, source, now) ? 1 : o.failuresBeforeLockout;
    if (pair.failures >= threshold) {
      pair.level += 1;
      const duration = Math.min(o.lockoutMaxMs, o.lockoutBaseMs * 2 ** (pair.level - 1));
      pair.lockedUntil = now + duration;
      pair.failures = 0;
      return { allowed: false, retryAfterSeconds: retryAfter(duration), reason: 'locked-out' };
    }
    return { allowed: true };
  }

  /**
   * Record a successful login: the pair's failure count and lockout history are reset, and
   * the source becomes one the user logged in from. The name's count across sources stays:
   * a campaign against it is not over because she logged in.
   */
  recordSuccess(ip: string, user: string, now: number = Date.now()): void {
    const name = userKey(user);
    const source = sourceKey(ip, this.options.ipv6PrefixLength);
    this.#pairs.delete(pairKey(name, source));
    let familiar = this.#familiar.get(name);
    if (!familiar) {
      makeRoom(
        this.#familiar,
        this.options.maxTrackedUsers,
        () => false,
        () => false,
      );
      familiar = new Map();
    }
    familiar.delete(source);
    familiar.set(source, now);
    if (familiar.size > MAX_FAMILIAR_SOURCES)
      familiar.delete(familiar.keys().next().value as string);
    this.#familiar.delete(name);
    this.#familiar.set(name, familiar);
  }

  /** Drop every expired entry (optional: expiry also happens lazily). */
  sweep(now: number = Date.now()): void {
    for (const [k, b] of this.#ips) if (this.#bucketStale(b, now)) this.#ips.delete(k);
    for (const [k, p] of this.#pairs) if (this.#pairStale(p, now)) this.#pairs.delete(k);
    for (const [k, n] of this.#names) if (this.#drained(n, now) === 0) this.#names.delete(k);
    for (const [k, familiar] of this.#familiar) {
      for (const [source, at] of familiar)
        if (now - at >= this.options.familiarForMs) familiar.delete(source);
      if (familiar.size === 0) this.#familiar.delete(k);
    }
  }

  /** Numbers of tracked addresses and name-source pairs (for metrics and tests). */
  get trackedIps(): number {
    return this.#ips.size;
  }
  get trackedUsers(): number {
    return this.#pairs.size;
  }

  #bucketStale(b: Bucket, now: number): boolean {
    const o = this.options;
    return b.tokens + ((now - b.updatedAt) * o.perIpPerMinute) / MINUTE >= o.perIpPerMinute;
  }

  #pairStale(p: PairEntry, now: number): boolean {
    if (now < p.lockedUntil) return false;
    const quiet = now - Math.max(p.lastFailureAt, p.lockedUntil);
    return p.level > 0
      ? quiet >= this.options.lockoutForgetMs
      : quiet >= this.options.failureWindowMs;
  }

  /** The name's failure count now, after draining since its last update. */
  #drained(n: NameEntry, now: number): number {
    const drained = ((now - n.updatedAt) * this.options.userFailuresPerHour) / HOUR;
    return Math.max(0, n.failures - Math.max(0, drained));
  }

  /** Adds one failure to the name's count and returns the count. */
  #countNameFailure(name: string, now: number): number {
    const ceiling = this.options.userFailuresPerHour;
    let n = this.#names.get(name);
    if (n) {
      this.#names.delete(name);
    } else {
      makeRoom(
        this.#names,
        this.options.maxTrackedUsers,
        (x) => this.#drained(x, now) === 0,
        (x) => this.#drained(x, now) > ceiling,
      );
      n = { failures: 0, updatedAt: now };
    }
    // Capped just under twice the ceiling, so that the name leaves the under-attack state an
    // hour after the campaign's last failure at the latest, however long it went on.
    n.failures = Math.min(2 * ceiling - 1, this.#drained(n, now) + 1);
    n.updatedAt = Math.max(n.updatedAt, now);
    this.#names.set(name, n);
    return n.failures;
  }

  #isFamiliar(name: string, source: string, now: number): boolean {
    const at = this.#familiar.get(name)?.get(source);
    return at !== undefined && now - at < this.options.familiarForMs;
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

  #touchPair(key: string, now: number, create: boolean): PairEntry | undefined {
    let p = this.#pairs.get(key);
    if (p && this.#pairStale(p, now)) {
      this.#pairs.delete(key);
      p = undefined;
    }
    if (p) {
      this.#pairs.delete(key);
      this.#pairs.set(key, p);
      return p;
    }
    if (!create) return undefined;
    makeRoom(
      this.#pairs,
      this.options.maxTrackedUsers,
      (x) => this.#pairStale(x, now),
      (x) => now < x.lockedUntil,
    );
    p = { failures: 0, lastFailureAt: now, lockedUntil: 0, level: 0 };
    this.#pairs.set(key, p);
    return p;
  }
}

function pairKey(name: string, source: string): string {
  return `${name}\n${source}`;
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
