import { describe, expect, it } from 'vitest';
import { makeDummyHash } from '../../../src/gateway/auth/password.js';
import {
  credentialStamp,
  parseUsers,
  type UserDirectory,
} from '../../../src/gateway/auth/users.js';
import { AddressPool } from '../../../src/gateway/pool.js';
import { SessionManager, type EndReason, type Session } from '../../../src/gateway/sessions.js';

function manager(options: { lifetimeSeconds?: number; perUser?: number; pool?: boolean } = {}) {
  const ended: { user: string; id: string; reason: EndReason }[] = [];
  const pool = options.pool === false ? undefined : new AddressPool('100.64.0.0/24');
  const sessions = new SessionManager({
    lifetimeSeconds: options.lifetimeSeconds ?? 60,
    perUser: options.perUser ?? 5,
    pool,
    onEnd: (s: Session, reason) => ended.push({ user: s.user, id: s.id, reason }),
  });
  return { sessions, ended, pool };
}

const T0 = 1_700_000_000_000;

describe('session manager', () => {
  it('issues a bearer token that finds the session, with a lease from the pool', () => {
    const { sessions, pool } = manager();
    const { session, token } = sessions.create('alice', ['staff'], '198.19.0.2', T0);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toMatchObject({
      user: 'alice',
      groups: ['staff'],
      sourceIp: '198.19.0.2',
      intranetIp: '100.64.0.1',
    });
    expect(session.expiresAt).toBe(T0 + 60_000);
    expect(sessions.authenticate(`Bearer ${token}`, T0 + 1)).toBe(session);
    expect(pool?.leased).toBe(1);
    expect(sessions.size).toBe(1);
  });

  it('refuses missing, malformed and unknown tokens', () => {
    const { sessions } = manager();
    const { token } = sessions.create('alice', [], '198.19.0.2', T0);
    for (const header of [
      undefined,
      '',
      token,
      `Basic ${token}`,
      'Bearer ',
      `Bearer ${token}x`,
      `Bearer ${'A'.repeat(43)}`,
    ]) {
      expect(sessions.authenticate(header, T0), String(header)).toBeUndefined();
    }
  });

  it('works without a pool (no intranet IP)', () => {
    const { sessions } = manager({ pool: false });
    const { session, token } = sessions.create('alice', [], '198.19.0.2', T0);
    expect(session.intranetIp).toBeNull();
    expect(sessions.authenticate(`Bearer ${token}`, T0)).toBe(session);
  });

  it('revokes the token at logout, releases the lease and runs the closers', () => {
    const { sessions, ended, pool } = manager();
    const { session, token } = sessions.create('alice', [], '198.19.0.2', T0);
    let closed = 0;
    session.closers.add(() => closed++);
    sessions.end(session, 'logout');
    expect(sessions.authenticate(`Bearer ${token}`, T0)).toBeUndefined();
    expect(pool?.leased).toBe(0);
    expect(closed).toBe(1);
    expect(ended).toEqual([{ user: 'alice', id: session.id, reason: 'logout' }]);
    // Ending twice is harmless.
    sessions.end(session, 'logout');
    expect(ended).toHaveLength(1);
    expect(closed).toBe(1);
  });

  it('stops accepting a token at expiry, and the sweep ends the session and frees its address', () => {
    const { sessions, ended, pool } = manager({ lifetimeSeconds: 2 });
    const { session, token } = sessions.create('alice', [], '198.19.0.2', T0);
    const other = sessions.create('bob', [], '198.19.0.2', T0 + 1500);
    expect(sessions.authenticate(`Bearer ${token}`, T0 + 1999)).toBe(session);
    expect(sessions.authenticate(`Bearer ${token}`, T0 + 2000)).toBeUndefined();
    sessions.sweep(T0 + 1999);
    expect(sessions.size).toBe(2);
    sessions.sweep(T0 + 2000);
    expect(sessions.size).toBe(1);
    expect(ended).toEqual([{ user: 'alice', id: session.id, reason: 'expired' }]);
    expect(pool?.leased).toBe(1);
    expect(sessions.authenticate(`Bearer ${other.token}`, T0 + 2000)).toBe(other.session);
  });

  it('gives the same intranet IP on re-login while the lease lives, and after it ended', () => {
    const { sessions } = manager();
    const first = sessions.create('alice', [], '198.19.0.2', T0);
    const second = sessions.create('alice', [], '198.19.0.3', T0 + 1);
    expect(second.session.intranetIp).toBe(first.session.intranetIp);
    sessions.end(first.session, 'logout');
    sessions.end(second.session, 'logout');
    sessions.create('bob', [], '198.19.0.2', T0 + 2);
    expect(sessions.create('alice', [], '198.19.0.2', T0 + 3).session.intranetIp).toBe(
      first.session.intranetIp,
    );
  });

  it('ends the oldest session of a user past the per-user cap', () => {
    const { sessions, ended } = manager({ perUser: 2 });
    const a = sessions.create('alice', [], '198.19.0.2', T0);
    const b = sessions.create('alice', [], '198.19.0.2', T0 + 1);
    const bob = sessions.create('bob', [], '198.19.0.2', T0 + 2);
    expect(ended).toEqual([]);
    const c = sessions.create('alice', [], '198.19.0.2', T0 + 3);
    expect(ended).toEqual([{ user: 'alice', id: a.session.id, reason: 'replaced' }]);
    expect(sessions.authenticate(`Bearer ${a.token}`, T0 + 4)).toBeUndefined();
    expect(sessions.authenticate(`Bearer ${b.token}`, T0 + 4)).toBe(b.session);
    expect(sessions.authenticate(`Bearer ${c.token}`, T0 + 4)).toBe(c.session);
    expect(sessions.authenticate(`Bearer ${bob.token}`, T0 + 4)).toBe(bob.session);
    expect(sessions.size).toBe(3);
  });

  it('fails the login when the pool is exhausted, without leaving a session behind', () => {
    const ended: Session[] = [];
    const sessions = new SessionManager({
      lifetimeSeconds: 60,
      perUser: 5,
      pool: new AddressPool('10.9.0.1/32'),
      onEnd: (s) => ended.push(s),
    });
    sessions.create('alice', [], '198.19.0.2', T0);
    expect(() => sessions.create('bob', [], '198.19.0.2', T0)).toThrow(/no free address/);
    expect(sessions.size).toBe(1);
  });

  describe('at reload, against a new users file', () => {
    const hashes = { alice: makeDummyHash(), bob: makeDummyHash(), carol: makeDummyHash() };
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const file = (entries: string[]) => parseUsers(entries.join('\n'), 'users.yaml');
    const entry = (name: string, hash: string, extra = '') =>
      `- { name: ${name}, password: "${hash}", groups: [staff]${extra} }`;
    const stampIn = (dir: UserDirectory) => (name: string) => {
      const user = dir.find(name);
      return user && credentialStamp(user);
    };

    it('ends the sessions of removed users and of changed passwords or TOTP secrets', () => {
      const before = file([
        entry('alice', hashes.alice),
        entry('bob', hashes.bob, `, totp: ${secret}`),
        entry('carol', hashes.carol),
        entry('dave', hashes.alice),
      ]);
      const { sessions, ended } = manager();
      const login = (name: string) => {
        const user = before.find(name);
        if (!user) throw new Error(name);
        return sessions.create(user.name, user.groups, '198.19.0.2', T0, credentialStamp(user));
      };
      const alice = login('alice');
      const bob = login('bob');
      const carol = login('carol');
      const dave = login('dave');
      let closedTunnels = 0;
      carol.session.closers.add(() => closedTunnels++);

      const after = file([
        // alice: only her groups change, in another case: she keeps her session.
        `- { name: ALICE, password: "${hashes.alice}", groups: [ops] }`,
        // bob: another TOTP secret.
        entry('bob', hashes.bob, `, totp: ${secret.replace('J', 'K')}`),
        // carol: another password. dave: gone.
        entry('carol', makeDummyHash()),
      ]);
      sessions.endRevoked(stampIn(after));

      expect(ended).toEqual([
        { user: 'bob', id: bob.session.id, reason: 'credentials-changed' },
        { user: 'carol', id: carol.session.id, reason: 'credentials-changed' },
        { user: 'dave', id: dave.session.id, reason: 'user-removed' },
      ]);
      expect(closedTunnels).toBe(1);
      for (const gone of [bob, carol, dave])
        expect(sessions.authenticate(`Bearer ${gone.token}`, T0 + 1)).toBeUndefined();
      expect(sessions.authenticate(`Bearer ${alice.token}`, T0 + 1)).toBe(alice.session);
    });

    it('ends a session when a one-time code is added to or removed from the user', () => {
      const { sessions, ended } = manager();
      const plain = file([entry('alice', hashes.alice)]);
      const withCode = file([entry('alice', hashes.alice, `, totp: ${secret}`)]);
      const user = plain.find('alice');
      if (!user) throw new Error('alice');
      sessions.create('alice', [], '198.19.0.2', T0, credentialStamp(user));
      sessions.endRevoked(stampIn(plain));
      expect(ended).toEqual([]);
      sessions.endRevoked(stampIn(withCode));
      expect(ended.map((e) => e.reason)).toEqual(['credentials-changed']);
      const coded = withCode.find('alice');
      if (!coded) throw new Error('alice');
      sessions.create('alice', [], '198.19.0.2', T0, credentialStamp(coded));
      sessions.endRevoked(stampIn(plain));
      expect(ended.map((e) => e.reason)).toEqual(['credentials-changed', 'credentials-changed']);
    });
  });
});
