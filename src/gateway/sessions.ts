// Sessions: who is logged in, with which token (kept only as a hash), which intranet IP,
// until when. Ending a session (logout, expiry, replacement) releases its IP lease and
// closes its tunnels.
import { randomUUID } from 'node:crypto';
import { TokenStore } from './auth/tokens.js';
import type { AddressPool } from './pool.js';

export interface Session {
  readonly id: string;
  readonly user: string;
  groups: readonly string[];
  readonly sourceIp: string;
  readonly intranetIp: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The user's `credentialStamp` at login: a changed password or TOTP secret ends the session. */
  readonly credentials: string;
  /** Flows open now (all protocols), for the per-session cap. */
  flows: number;
  /** Called when the session ends, to close its tunnels. */
  readonly closers: Set<() => void>;
}

export type EndReason =
  | 'logout'
  | 'expired'
  | 'replaced'
  | 'shutdown'
  /** Reload: the user is no longer in the users file. */
  | 'user-removed'
  /** Reload: the user's password or one-time-code secret changed. */
  | 'credentials-changed';

export interface SessionManagerOptions {
  lifetimeSeconds: number;
  perUser: number;
  pool: AddressPool | undefined;
  /** A session was created; `tokenHash` is the SHA-256 of its token (hex). */
  onStart?: (session: Session, tokenHash: string) => void;
  onEnd: (session: Session, reason: EndReason) => void;
}

export class SessionManager {
  private readonly tokens = new TokenStore();
  private readonly sessions = new Map<string, Session>();
  private readonly tokenHashes = new Map<string, string>();

  constructor(private options: SessionManagerOptions) {}

  /** Applies reloaded settings; sessions alive keep their lease and expiry. */
  reconfigure(options: SessionManagerOptions): void {
    this.options = options;
  }

  get pool(): AddressPool | undefined {
    return this.options.pool;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Creates a session; throws PoolExhaustedError when no intranet IP is free. */
  create(
    user: string,
    groups: readonly string[],
    sourceIp: string,
    now = Date.now(),
    credentials = '',
  ): { session: Session; token: string } {
    const mine = [...this.sessions.values()]
      .filter((s) => s.user === user)
      .sort((a, b) => a.createdAt - b.createdAt);
    // Past the per-user cap the oldest session goes: a user who lost a token (crash, new
    // laptop) must be able to log in again without waiting for it to expire.
    for (const old of mine.slice(0, Math.max(0, mine.length - this.options.perUser + 1)))
      this.end(old, 'replaced');
    const intranetIp = this.options.pool ? this.options.pool.acquire(user) : null;
    const session: Session = {
      id: randomUUID(),
      user,
      groups,
      sourceIp,
      intranetIp,
      createdAt: now,
      expiresAt: now + this.options.lifetimeSeconds * 1000,
      credentials,
      flows: 0,
      closers: new Set(),
    };
    const { token, tokenHash } = this.tokens.issue(session.id, session.expiresAt);
    this.sessions.set(session.id, session);
    this.tokenHashes.set(session.id, tokenHash);
    this.options.onStart?.(session, tokenHash);
    return { session, token };
  }

  /** The live session for an Authorization / Proxy-Authorization header value, if any. */
  authenticate(headerValue: string | undefined, now = Date.now()): Session | undefined {
    const token = TokenStore.parseBearer(headerValue);
    if (!token) return undefined;
    const entry = this.tokens.lookup(token, now);
    if (!entry) return undefined;
    const session = this.sessions.get(entry.sessionId);
    if (!session || session.expiresAt <= now) return undefined;
    return session;
  }

  end(session: Session, reason: EndReason): void {
    if (!this.sessions.delete(session.id)) return;
    const hash = this.tokenHashes.get(session.id);
    if (hash) this.tokens.revoke(hash);
    this.tokenHashes.delete(session.id);
    if (session.intranetIp && this.options.pool)
      this.options.pool.release(session.user, session.intranetIp);
    for (const close of session.closers) close();
    session.closers.clear();
    this.options.onEnd(session, reason);
  }

  /** The SHA-256 (hex) of the session's token, while it lives. */
  tokenHashOf(session: Session): string | undefined {
    return this.tokenHashes.get(session.id);
  }

  /**
   * Ends the sessions whose user is gone or proves identity differently now (at reload):
   * a token must not outlive the password it was issued for. `stampOf` gives a user's current
   * credential stamp, or undefined when there is no such user any more.
   */
  endRevoked(stampOf: (user: string) => string | undefined): void {
    for (const session of [...this.sessions.values()]) {
      const stamp = stampOf(session.user);
      if (stamp === undefined) this.end(session, 'user-removed');
      else if (stamp !== session.credentials) this.end(session, 'credentials-changed');
    }
  }

  /** Ends expired sessions; run on a timer. */
  sweep(now = Date.now()): void {
    this.tokens.sweepExpired(now);
    for (const session of this.sessions.values())
      if (session.expiresAt <= now) this.end(session, 'expired');
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }
}
