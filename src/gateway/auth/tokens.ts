/**
 * Session tokens: opaque, random, stored only as their SHA-256 hash.
 *
 * A token is 32 bytes (256 bits) from the CSPRNG, in base64url without padding (43
 * characters). The store keeps `sha256(token)` → session, never the token itself, so a memory
 * dump, a debug log of the store or a heap snapshot does not hand out live credentials.
 *
 * Times are milliseconds since the Unix epoch (`Date.now()`).
 */
import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness in a token (256 bits). */
export const TOKEN_BYTES = 32;
/** Default token lifetime: 12 hours. */
export const DEFAULT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 8) / 6); // 43 base64url characters
const TOKEN_SHAPE = new RegExp(`^[A-Za-z0-9_-]{${TOKEN_LENGTH}}$`);

/** SHA-256 of a token, hex: the key the store uses. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface IssuedToken {
  /** The secret to hand to the client once; not kept anywhere. */
  readonly token: string;
  /** Its SHA-256 (hex), what the store keeps; safe to log or use as an id. */
  readonly tokenHash: string;
  readonly expiresAt: number;
}

export interface TokenEntry {
  readonly sessionId: string;
  readonly expiresAt: number;
  readonly tokenHash: string;
}

export interface TokenStoreOptions {
  /** Lifetime of a token from `issue` (default 12 h). */
  readonly ttlMs?: number;
}

export class TokenStore {
  /** Same as the module's `parseBearer`. */
  static readonly parseBearer = (headerValue: string | readonly string[] | undefined) =>
    parseBearer(headerValue);

  readonly #entries = new Map<string, { sessionId: string; expiresAt: number }>();
  readonly ttlMs: number;

  constructor(options: TokenStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    if (!(this.ttlMs > 0)) throw new Error('token ttlMs must be positive');
  }

  /**
   * Create a token for `sessionId`, valid until `expiresAt` (ms since the epoch; default:
   * now plus the store's `ttlMs`).
   */
  issue(sessionId: string, expiresAt: number = Date.now() + this.ttlMs): IssuedToken {
    if (!Number.isFinite(expiresAt)) throw new Error('token expiresAt must be a finite time');
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const tokenHash = hashToken(token);
    this.#entries.set(tokenHash, { sessionId, expiresAt });
    return { token, tokenHash, expiresAt };
  }

  /**
   * The session a token belongs to, or `undefined` when it is unknown, malformed or expired.
   *
   * This is a plain hash-map lookup on `sha256(token)`, not a constant-time comparison, and
   * that is sound: timing could at most reveal something about the *hash* an attacker
   * supplied, and finding a token from partial knowledge of its hash means inverting SHA-256
   * over a 256-bit random input. There is no short secret to recover byte by byte.
   *
   * An expired entry is left in place (and reported as absent) so that `sweepExpired` still
   * returns its session id for the caller to release the session's resources.
   */
  lookup(token: string, now: number = Date.now()): TokenEntry | undefined {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return undefined;
    const tokenHash = hashToken(token);
    const entry = this.#entries.get(tokenHash);
    if (!entry || now >= entry.expiresAt) return undefined;
    return { sessionId: entry.sessionId, expiresAt: entry.expiresAt, tokenHash };
  }

  /**
   * Revoke a token by its hash (the `tokenHash` that `issue` returned), e.g. when its session
   * ends. Returns the session id it belonged to, if it was known.
   */
  revoke(tokenHash: string): string | undefined {
    const entry = this.#entries.get(tokenHash);
    if (!entry) return undefined;
    this.#entries.delete(tokenHash);
    return entry.sessionId;
  }

  /** Revoke a token given the token itself (e.g. the bearer of a log-out request). */
  revokeToken(token: string): string | undefined {
    if (typeof token !== 'string') return undefined;
    return this.revoke(hashToken(token));
  }

  /** Revoke every token of a session; returns how many there were. */
  revokeSession(sessionId: string): number {
    let count = 0;
    for (const [hash, entry] of this.#entries) {
      if (entry.sessionId === sessionId) {
        this.#entries.delete(hash);
        count++;
      }
    }
    return count;
  }

  /**
   * Remove every token expired at `now` and return their session ids, so the caller can end
   * those sessions and release their IP leases. Call it on a timer.
   */
  sweepExpired(now: number = Date.now()): string[] {
    const expired: string[] = [];
    for (const [hash, entry] of this.#entries) {
      if (now >= entry.expiresAt) {
        this.#entries.delete(hash);
        expired.push(entry.sessionId);
      }
    }
    return expired;
  }

  /** Number of tokens held (expired ones included until swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** The stored keys (token hashes), for inspection and tests. */
  hashes(): string[] {
    return [...this.#entries.keys()];
  }
}

/** Longest header value `parseBearer` looks at; real tokens are 43 characters. */
const MAX_AUTHORIZATION_LENGTH = 4096;
// RFC 6750 §2.1 b64token (RFC 7235 token68): the credentials must be a single such token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token in an `authorization` / `proxy-authorization` header value of the form
 * `Bearer <token>` (the scheme is case-insensitive, RFC 7235 §2.1), or `undefined` for
 * anything else: a missing header, another scheme, no token, extra parameters, or a header
 * sent twice (an array, as Node presents repeated headers).
 */
export function parseBearer(
  headerValue: string | readonly string[] | undefined,
): string | undefined {
  if (typeof headerValue !== 'string') return undefined;
  if (headerValue.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  // Optional whitespace around a field value is not part of it (RFC 9110 §5.5).
  const m = BEARER.exec(headerValue.replace(/^[ \t]+|[ \t]+$/g, ''));
  return m?.[1];
}
