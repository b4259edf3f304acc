import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenStore, hashToken, parseBearer } from '../../../src/gateway/auth/tokens.js';

describe('TokenStore', () => {
  it('issues 256-bit base64url tokens, all different', () => {
    const store = new TokenStore();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { token } = store.issue(`s${i}`);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      seen.add(token);
    }
    expect(seen.size).toBe(200);
  });

  it('looks like randomness: about half the bits set over many tokens', () => {
    const store = new TokenStore();
    let ones = 0;
    const n = 256;
    for (let i = 0; i < n; i++) {
      for (const byte of Buffer.from(store.issue('s').token, 'base64url')) {
        for (let b = byte; b; b >>= 1) ones += b & 1;
      }
    }
    const ratio = ones / (n * 256);
    expect(ratio).toBeGreaterThan(0.47);
    expect(ratio).toBeLessThan(0.53);
  });

  it('stores the SHA-256 hash, never the token', () => {
    const store = new TokenStore();
    const { token, tokenHash } = store.issue('session-1', Date.now() + 1000);
    expect(tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).toBe(tokenHash);
    expect(store.hashes()).toEqual([tokenHash]);
    // Nothing reachable from the store holds the token text.
    const dump = JSON.stringify([...store.hashes()]) + JSON.stringify(store);
    expect(dump).not.toContain(token);
    expect(store.lookup(tokenHash)).toBeUndefined(); // the hash is not a credential
  });

  it('looks tokens up until they expire', () => {
    const store = new TokenStore();
    const { token, tokenHash } = store.issue('s1', 10_000);
    expect(store.lookup(token, 9_999)).toEqual({ sessionId: 's1', expiresAt: 10_000, tokenHash });
    expect(store.lookup(token, 10_000)).toBeUndefined();
    expect(store.lookup(token, 20_000)).toBeUndefined();
  });

  it('uses the default lifetime when no expiry is given', () => {
    const store = new TokenStore({ ttlMs: 5_000 });
    const before = Date.now();
    const { expiresAt } = store.issue('s');
    expect(expiresAt).toBeGreaterThanOrEqual(before + 5_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(() => new TokenStore({ ttlMs: 0 })).toThrow();
  });

  it('refuses unknown, malformed and tampered tokens', () => {
    const store = new TokenStore();
    const { token } = store.issue('s1', Number.MAX_SAFE_INTEGER);
    const flipped = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    for (const t of [flipped, '', token.slice(1), `${token}A`, `${token}=`, ' '.repeat(43)]) {
      expect(store.lookup(t, 0)).toBeUndefined();
    }
    expect(store.lookup(undefined as unknown as string, 0)).toBeUndefined();
  });

  it('revokes by hash, by token and by session', () => {
    const store = new TokenStore();
    const a = store.issue('s1', 1e15);
    const b = store.issue('s2', 1e15);
    const c = store.issue('s2', 1e15);
    expect(store.revoke(a.tokenHash)).toBe('s1');
    expect(store.revoke(a.tokenHash)).toBeUndefined();
    expect(store.lookup(a.token, 0)).toBeUndefined();
    expect(store.revoke(b.token)).toBeUndefined(); // a token is not a hash
    expect(store.revokeToken(b.token)).toBe('s2');
    expect(store.lookup(b.token, 0)).toBeUndefined();
    expect(store.lookup(c.token, 0)?.sessionId).toBe('s2');
    expect(store.revokeSession('s2')).toBe(1);
    expect(store.size).toBe(0);
  });

  it('sweeps expired tokens and returns their sessions', () => {
    const store = new TokenStore();
    store.issue('old-1', 1_000);
    store.issue('old-2', 2_000);
    const live = store.issue('live', 3_000);
    // An expired token looked up is refused but kept for the sweep to report.
    expect(store.size).toBe(3);
    expect(store.sweepExpired(2_000).sort()).toEqual(['old-1', 'old-2']);
    expect(store.size).toBe(1);
    expect(store.lookup(live.token, 2_500)?.sessionId).toBe('live');
    expect(store.sweepExpired(2_500)).toEqual([]);
  });
});

describe('parseBearer', () => {
  const token = 'abcDEF0123456789_-abcDEF0123456789_-abcDEFG';
  it.each([
    [`Bearer ${token}`],
    [`bearer ${token}`],
    [`BEARER ${token}`],
    [`bEaReR ${token}`],
    [`Bearer   ${token}`],
    [`  Bearer ${token}\t`],
  ])('accepts %j', (value) => {
    expect(parseBearer(value)).toBe(token);
    expect(TokenStore.parseBearer(value)).toBe(token);
  });

  it('accepts the full RFC 6750 b64token alphabet, with trailing "="', () => {
    expect(parseBearer('Bearer a.b~c+d/e-f_g==')).toBe('a.b~c+d/e-f_g==');
  });

  it.each([
    [undefined],
    [''],
    ['Bearer'],
    ['Bearer '],
    [token],
    [`Basic ${token}`],
    [`Bearer: ${token}`],
    [`Bearer\t${token}`],
    [`Bearer ${token} extra`],
    [`Bearer ${token},Bearer ${token}`],
    [`Bearer =${token}`],
    [`Bearer ${token}=x`],
    [`Bearer ${token}\n`],
    [`Bearer\u00a0${token}`],
    [`Bearer realm="x"`],
    [`XBearer ${token}`],
    [`Bearer ${'a'.repeat(5000)}`],
  ])('rejects %j', (value) => {
    expect(parseBearer(value)).toBeUndefined();
  });

  it('rejects a header sent twice', () => {
    expect(parseBearer([`Bearer ${token}`, `Bearer ${token}`])).toBeUndefined();
    expect(parseBearer([`Bearer ${token}`])).toBeUndefined();
  });
});
