// Login verifications on the gateway's own worker threads: the same answers as verifyPassword,
// at most `size` at once and `queueLimit` waiting, refused at once past that.
import { afterEach, describe, expect, it } from 'vitest';
import { authenticate } from '../../../src/gateway/auth/authenticate.js';
import {
  hashPassword,
  makeDummyHash,
  verifyPassword,
  type ScryptParams,
} from '../../../src/gateway/auth/password.js';
import { TotpReplayGuard } from '../../../src/gateway/auth/totp.js';
import { PasswordVerifier, VerifierBusyError } from '../../../src/gateway/auth/verifier.js';
import type { UserDirectory } from '../../../src/gateway/auth/users.js';

// Expensive enough (N = 2^16, ~200 ms) that ten of them cannot all be finished before the
// eleventh is asked for.
const SLOW: ScryptParams = { N: 65_536, r: 8, p: 1 };

describe('PasswordVerifier', () => {
  let verifier: PasswordVerifier | undefined;
  afterEach(async () => {
    await verifier?.close();
  });

  it('gives the answers verifyPassword gives, NFC included', async () => {
    verifier = new PasswordVerifier(2, 4);
    const encoded = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword('caf\u00e9 au lait', encoded, verifier.derive)).toBe(true);
    expect(await verifyPassword('cafe\u0301 au lait', encoded, verifier.derive)).toBe(true);
    expect(await verifyPassword('cafe au lait', encoded, verifier.derive)).toBe(false);
  });

  it('runs at most `size` at once, queues `queueLimit`, and refuses the rest at once', async () => {
    verifier = new PasswordVerifier(1, 2);
    const dummy = makeDummyHash(SLOW);
    const order: string[] = [];
    const jobs = Array.from({ length: 6 }, () =>
      verifyPassword('guess', dummy, verifier?.derive).then(
        () => order.push('verified'),
        (err) => order.push(err instanceof VerifierBusyError ? 'busy' : String(err)),
      ),
    );
    expect(verifier.inFlight).toBe(1);
    await Promise.all(jobs);
    // The three past the queue were refused before the first verification had finished.
    expect(order).toEqual(['busy', 'busy', 'busy', 'verified', 'verified', 'verified']);
    expect(verifier.inFlight).toBe(0);
  }, 30_000);

  it('makes a login busy, not failed, for a known and an unknown user alike', async () => {
    verifier = new PasswordVerifier(1, 0);
    const hash = makeDummyHash(SLOW);
    const users = {
      find: (name: string) =>
        name === 'alice' ? { name, passwordHash: hash, groups: [] } : undefined,
      dummyHash: hash,
    } as unknown as UserDirectory;
    const guard = new TotpReplayGuard();
    const first = authenticate(users, 'alice', 'x', undefined, Date.now(), guard, verifier.derive);
    for (const name of ['alice', 'nobody'])
      await expect(
        authenticate(users, name, 'x', undefined, Date.now(), guard, verifier.derive),
      ).rejects.toBeInstanceOf(VerifierBusyError);
    expect(await first).toEqual({ ok: false, reason: 'invalid-credentials' });
  }, 30_000);

  it('takes new bounds at reload and refuses work once closed', async () => {
    verifier = new PasswordVerifier(1, 0);
    verifier.reconfigure(3, 0);
    const dummy = makeDummyHash(SLOW);
    const three = await Promise.allSettled(
      [1, 2, 3].map(() => verifyPassword('guess', dummy, verifier?.derive)),
    );
    expect(three.every((o) => o.status === 'fulfilled')).toBe(true);
    await verifier.close();
    await expect(verifyPassword('guess', dummy, verifier.derive)).rejects.toThrow(/closed/);
  }, 30_000);
});
