/**
 * Time-based one-time passwords: RFC 6238 TOTP on top of RFC 4226 HOTP, with RFC 4648 base32
 * secrets (the form authenticator apps take).
 *
 * Times are milliseconds since the Unix epoch (what `Date.now()` returns), like the rest of
 * the auth building blocks.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, with padding. */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * RFC 4648 §6 base32 decoding. Case-insensitive; padding optional; spaces are ignored (apps
 * and setup sheets often show secrets in groups of four). Throws an `Error` saying what is
 * wrong for any other character or an impossible length.
 */
export function base32Decode(text: string): Buffer {
  if (typeof text !== 'string') throw new Error('base32 text must be a string');
  // Check every character of the text as given first, so an error names the character and
  // its position as the user wrote them. Only ASCII letters are upper-cased: a Unicode
  // upper-casing would turn "ß" into "SS" or "ı" into "I" and accept them.
  let position = 0;
  for (const ch of text) {
    position++;
    if (/^[A-Za-z2-7 =]$/.test(ch)) continue;
    const shown = /^[\x21-\x7e]$/.test(ch)
      ? `"${ch}"`
      : `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new Error(
      `invalid base32 character ${shown} at position ${position} (allowed: A-Z and 2-7)`,
    );
  }
  const compact = text.replace(/ /g, '').replace(/[a-z]/g, (c) => c.toUpperCase());
  const firstPad = compact.indexOf('=');
  const body = firstPad === -1 ? compact : compact.slice(0, firstPad);
  if (firstPad !== -1) {
    const padding = compact.slice(firstPad);
    if (!/^=+$/.test(padding)) {
      throw new Error(`"=" padding may only appear at the end (position ${firstPad + 1})`);
    }
    if (compact.length % 8 !== 0) {
      throw new Error('padded base32 must be a multiple of 8 characters long');
    }
  }
  // Lengths a whole number of bytes can produce: 8n + {0, 2, 4, 5, 7} characters.
  if ([1, 3, 6].includes(body.length % 8)) {
    throw new Error(`${body.length} base32 characters cannot encode a whole number of bytes`);
  }
  const out = Buffer.alloc(Math.floor((body.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    const digit = ALPHABET.indexOf(ch); // always found: checked above
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

/** A fresh random TOTP secret, base32 without padding: 160 bits, as RFC 4226 §4 recommends. */
export function generateTotpSecret(bytes = 20): string {
  return base32Encode(randomBytes(bytes)).replace(/=+$/, '');
}

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  /** Code length, 6 to 8 digits (default 6). */
  readonly digits?: number;
  /** Time step in seconds (default 30). */
  readonly period?: number;
  /** HMAC hash (default SHA-1, which every authenticator app supports). */
  readonly algorithm?: TotpAlgorithm;
  /** T0, the Unix time in seconds at which counting starts (default 0). */
  readonly t0?: number;
}

interface ResolvedOptions {
  digits: number;
  period: number;
  algorithm: TotpAlgorithm;
  t0: number;
}

function resolve(options: TotpOptions): ResolvedOptions {
  const digits = options.digits ?? 6;
  const period = options.period ?? 30;
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) {
    throw new Error('TOTP digits must be 6, 7 or 8');
  }
  if (!Number.isInteger(period) || period < 1) throw new Error('TOTP period must be >= 1 s');
  return { digits, period, algorithm: options.algorithm ?? 'sha1', t0: options.t0 ?? 0 };
}

/** A secret as given: raw bytes, or base32 text. */
export type TotpSecret = Uint8Array | string;

function keyOf(secret: TotpSecret): Buffer {
  const key = typeof secret === 'string' ? base32Decode(secret) : Buffer.from(secret);
  if (key.length === 0) throw new Error('TOTP secret is empty');
  return key;
}

function hotpWithKey(key: Buffer, counter: number, digits: number, alg: TotpAlgorithm): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(alg, key).update(msg).digest();
  // RFC 4226 §5.3 dynamic truncation.
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 4226 HOTP value for `counter`. */
export function hotp(
  secret: TotpSecret,
  counter: number,
  digits = 6,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new Error('HOTP counter must be a non-negative integer');
  }
  return hotpWithKey(keyOf(secret), counter, digits, algorithm);
}

/** The RFC 6238 time step (counter) at `now` (ms since the epoch). */
export function totpStep(now: number, options: TotpOptions = {}): number {
  const { period, t0 } = resolve(options);
  return Math.floor((Math.floor(now / 1000) - t0) / period);
}

/** The TOTP code at `now` (ms since the epoch). */
export function totp(secret: TotpSecret, now: number, options: TotpOptions = {}): string {
  const o = resolve(options);
  return hotpWithKey(keyOf(secret), totpStep(now, o), o.digits, o.algorithm);
}

export type TotpResult = { readonly ok: true; readonly step: number } | { readonly ok: false };

/**
 * Check a code typed by the user against the steps `now - window … now + window` (the
 * default window of 1 accepts the previous and next 30 s codes, for clock drift and typing
 * time). Every candidate is computed and compared in constant time, with no early exit, so
 * the time taken does not depend on which step (if any) matched.
 *
 * On success, returns the matched step: the caller must refuse a step it has already
 * accepted for this user (RFC 6238 §5.2), see `TotpReplayGuard`. Spaces in the code are
 * ignored; anything other than exactly `digits` digits is refused.
 */
export function verifyTotp(
  secret: TotpSecret,
  code: string,
  now: number,
  window = 1,
  options: TotpOptions = {},
): TotpResult {
  const o = resolve(options);
  if (!Number.isInteger(window) || window < 0 || window > 10) {
    throw new Error('TOTP window must be an integer between 0 and 10');
  }
  const key = keyOf(secret);
  if (typeof code !== 'string') return { ok: false };
  const typed = code.replace(/ /g, '');
  // The format is public knowledge: refusing a malformed code early reveals nothing secret.
  if (typed.length !== o.digits || !/^[0-9]+$/.test(typed)) return { ok: false };
  const typedBytes = Buffer.from(typed, 'ascii');
  const current = totpStep(now, o);
  let matched = -1;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotpWithKey(key, step, o.digits, o.algorithm), 'ascii');
    // Both are `digits` ASCII digits long. Keep the latest matching step, without branching
    // out of the loop.
    const equal = timingSafeEqual(expected, typedBytes);
    matched = equal ? step : matched;
  }
  return matched >= 0 ? { ok: true, step: matched } : { ok: false };
}

/**
 * Refuses a TOTP code whose step is not newer than the last one accepted for the same user,
 * so a code seen over someone's shoulder (or replayed from a log) cannot be used again, nor
 * can an older code still inside the window after a newer one was used.
 *
 * Memory: one number per user who has ever logged in with a code. Only users from the users
 * file whose password was right reach it (see `authenticate`), so it is bounded by the size
 * of that file; `sweep` drops entries too old to matter anyway.
 */
export class TotpReplayGuard {
  readonly #last = new Map<string, number>();

  /** Accept `step` for `user` if it is newer than the last accepted one, and remember it. */
  accept(user: string, step: number): boolean {
    const last = this.#last.get(user);
    if (last !== undefined && step <= last) return false;
    this.#last.set(user, step);
    return true;
  }

  /** The last step accepted for `user`, if any. */
  lastStep(user: string): number | undefined {
    return this.#last.get(user);
  }

  /**
   * Forget users whose last accepted step is older than every step a code could still be
   * accepted for at `now` (with `window` and `options` as passed to `verifyTotp`).
   */
  sweep(now: number, window = 1, options: TotpOptions = {}): void {
    const oldest = totpStep(now, options) - window;
    for (const [user, step] of this.#last) {
      if (step < oldest) this.#last.delete(user);
    }
  }

  get size(): number {
    return this.#last.size;
  }
}
