import { verifyDummy, verifyPassword, type DeriveKey } from './password.js';
import { verifyTotp, type TotpReplayGuard } from './totp.js';
import type { User, UserDirectory } from './users.js';

/**
 * - `invalid-credentials`: unknown user or wrong password. The two are indistinguishable by
 *   design, in the answer and in the time taken.
 * - `otp-required`: the password was right, the user has a second factor and no code was
 *   sent. It is only ever returned after the password was verified, so it never says which of
 *   name and password was wrong; what it does reveal is that the password was right, which is
 *   what lets a client prompt for the code. The second factor is what still protects the
 *   account then. The HTTP layer may answer it distinctly (e.g. 401 with a hint to prompt);
 *   it should neither count it as a failure for lockout nor as a success.
 * - `invalid-otp`: the password was right but the code was wrong, malformed or replayed.
 *   **The HTTP layer must answer it exactly as `invalid-credentials`** (same status, body and
 *   headers) and count it as a failure, or an attacker guessing passwords on a TOTP account
 *   would learn when a guess was right. The distinct reason exists for the audit log only.
 */
export type AuthFailureReason = 'invalid-credentials' | 'otp-required' | 'invalid-otp';

export type AuthResult =
  | { readonly ok: true; readonly user: User }
  | { readonly ok: false; readonly reason: AuthFailureReason };

/** TOTP steps either side of now that are accepted (30 s each). */
export const TOTP_WINDOW = 1;

/**
 * Check a login. Exactly one scrypt verification runs in every case: against the user's hash
 * when the name exists, against the directory's dummy hash (same parameters) when it does
 * not, so that an unknown name costs the same time as a wrong password. The one-time code is
 * only looked at after the password was verified right.
 *
 * A user without `totp` in the users file logs in with the password alone; an `otp` sent for
 * such a user is ignored. For a user with `totp`, an accepted code's time step is recorded in
 * `replayGuard`, and a step not newer than the last accepted one is refused (RFC 6238 §5.2).
 *
 * `now` is in milliseconds since the epoch. `derive` runs scrypt (the gateway's own workers,
 * verifier.ts; libuv's thread pool when absent); whatever it throws is thrown from here.
 */
export async function authenticate(
  dir: UserDirectory,
  username: string,
  password: string,
  otp: string | undefined,
  now: number,
  replayGuard: TotpReplayGuard,
  derive?: DeriveKey,
): Promise<AuthResult> {
  const user = dir.find(username);
  // No early return before the scrypt run: both branches cost one verification.
  const passwordOk = user
    ? await verifyPassword(password, user.passwordHash, derive)
    : await verifyDummy(password, dir.dummyHash, derive);
  if (!user || !passwordOk) return { ok: false, reason: 'invalid-credentials' };

  if (user.totpSecret === undefined) return { ok: true, user };
  if (otp === undefined || otp === null || otp === '') return { ok: false, reason: 'otp-required' };
  const match = verifyTotp(user.totpSecret, otp, now, TOTP_WINDOW);
  if (!match.ok || !replayGuard.accept(user.name, match.step)) {
    return { ok: false, reason: 'invalid-otp' };
  }
  return { ok: true, user };
}
