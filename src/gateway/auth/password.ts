/**
 * Password hashing with scrypt (RFC 7914).
 *
 * Stored form, self-describing so the parameters can be raised later without breaking
 * existing entries:
 *
 *     scrypt$N=32768,r=8,p=1$<salt, base64>$<derived key, base64>
 *
 * Parameters and why:
 * - N = 2^15, r = 8, p = 1: scrypt needs 128·N·r bytes = 32 MiB of memory per hash and takes
 *   roughly 50–100 ms on one core of a current server. RFC 7914 §2 suggests N = 2^14 for
 *   interactive logins in 2009-era hardware; one doubling keeps an offline attacker's cost per
 *   guess high (memory-hard, so GPUs and ASICs gain little) while a login stays well under
 *   the time a user notices. It is also a deliberate bound on the gateway: a flood of logins
 *   costs 32 MiB and one libuv thread-pool thread per concurrent verification, and the
 *   login rate limiter (rate-limit.ts) is what keeps that flood small.
 * - 16-byte random salt (128 bits): unique per hash, so equal passwords hash differently and
 *   precomputed tables are useless.
 * - 32-byte derived key (256 bits): well past any brute force of the output itself.
 * - `maxmem`: Node refuses scrypt when 128·N·r·p reaches `maxmem`, whose default is exactly
 *   32 MiB, so it is raised explicitly (twice the need, to leave room for Node's overhead).
 *
 * Passwords are normalised to Unicode NFC before hashing and verifying, so the same password
 * typed on systems that compose accents differently (macOS input gives NFD) still matches.
 *
 * The asynchronous `crypto.scrypt` runs in libuv's thread pool, so the event loop keeps
 * serving tunnels while a login is being checked. The gateway passes its own `DeriveKey`
 * instead (verifier.ts): worker threads of their own, so that a flood of logins cannot
 * occupy the pool that name resolution (`dns.lookup`) and file I/O need.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The parameters of one scrypt hash. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/** The parameters `hashPassword` uses. */
export const SCRYPT_DEFAULTS: ScryptParams = Object.freeze({ N: 32768, r: 8, p: 1 });
/** Salt length in bytes for new hashes. */
export const SALT_BYTES = 16;
/** Derived key length in bytes for new hashes. */
export const KEY_BYTES = 32;

/*
 * Bounds on what `verifyPassword` accepts from a users file. They keep a mistyped or hostile
 * entry (N = 2^30, or p = 1000) from turning one login into gigabytes of memory or minutes of
 * CPU. N up to 2^20 (1 GiB with r = 8) leaves room to raise the cost later.
 */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 1024 * 1024 * 1024;
const MIN_SALT_BYTES = 16;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;

/** A parsed `scrypt$…` string. */
export interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PARAMS = /^N=(\d{1,10}),r=(\d{1,4}),p=(\d{1,4})$/;

function decodeBase64(text: string, what: string): Buffer {
  // Buffer.from(…, 'base64') silently skips characters it does not know; insist on the
  // canonical alphabet and on a round trip so that a damaged hash is reported, not half-read.
  if (!BASE64.test(text) || text.length % 4 === 1) {
    throw new Error(`${what} is not base64`);
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    throw new Error(`${what} is not canonical base64`);
  }
  return bytes;
}

/**
 * Parse and check a stored hash. Throws an `Error` whose message says what is wrong (the
 * caller reports it as a problem in the users file).
 */
export function parsePasswordHash(encoded: string): ParsedHash {
  if (typeof encoded !== 'string') throw new Error('password hash must be a string');
  const parts = encoded.split('$');
  if (parts.length !== 4 || parts[0] !== 'scrypt') {
    throw new Error('expected "scrypt$N=…,r=…,p=…$<salt>$<hash>"');
  }
  const [, paramText = '', saltText = '', hashText = ''] = parts;
  const m = PARAMS.exec(paramText);
  if (!m) throw new Error(`bad scrypt parameters "${paramText}" (expected "N=…,r=…,p=…")`);
  const N = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0) {
    throw new Error(`scrypt N must be a power of two between 2 and ${MAX_N}, got ${N}`);
  }
  if (r < 1 || r > MAX_R) throw new Error(`scrypt r must be between 1 and ${MAX_R}, got ${r}`);
  if (p < 1 || p > MAX_P) throw new Error(`scrypt p must be between 1 and ${MAX_P}, got ${p}`);
  if (128 * N * r * p > MAX_MEMORY) {
    throw new Error('scrypt parameters need more than 1 GiB of memory');
  }
  const salt = decodeBase64(saltText, 'salt');
  const hash = decodeBase64(hashText, 'hash');
  if (salt.length < MIN_SALT_BYTES) {
    throw new Error(`salt is ${salt.length} bytes, at least ${MIN_SALT_BYTES} needed`);
  }
  if (hash.length < MIN_KEY_BYTES || hash.length > MAX_KEY_BYTES) {
    throw new Error(
      `hash is ${hash.length} bytes, expected between ${MIN_KEY_BYTES} and ${MAX_KEY_BYTES}`,
    );
  }
  return { params: { N, r, p }, salt, hash };
}

/** True when `encoded` is a hash `verifyPassword` accepts. */
export function isPasswordHash(encoded: unknown): boolean {
  if (typeof encoded !== 'string') return false;
  try {
    parsePasswordHash(encoded);
    return true;
  } catch {
    return false;
  }
}

/** Derives a key from an already NFC-normalised password. */
export type DeriveKey = (
  password: string,
  salt: Buffer,
  keyLength: number,
  params: ScryptParams,
) => Promise<Buffer>;

export function scryptOptions(params: ScryptParams): ScryptOptions {
  return {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 2 * 128 * params.N * params.r * params.p,
  };
}

/** scrypt in libuv's thread pool. */
const scryptAsync: DeriveKey = (password, salt, keyLength, params) =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, scryptOptions(params), (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });

/** Format the stored form of a hash. */
export function formatPasswordHash(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Hash a password for the users file (what `passerelle-gateway hash-password` prints). */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) {
    throw new Error('password must be a non-empty string');
  }
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password.normalize('NFC'), salt, KEY_BYTES, SCRYPT_DEFAULTS);
  return formatPasswordHash(SCRYPT_DEFAULTS, salt, hash);
}

/**
 * Check `password` against a stored hash, comparing in constant time. Throws (with a clear
 * message) when `encoded` is malformed: that is a configuration problem, not a wrong password.
 */
export async function verifyPassword(
  password: string,
  encoded: string,
  derive: DeriveKey = scryptAsync,
): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  // A non-string (a bug upstream) still costs one scrypt run and never matches.
  const valid = typeof password === 'string';
  const candidate = await derive(
    valid ? password.normalize('NFC') : '',
    parsed.salt,
    parsed.hash.length,
    parsed.params,
  );
  // Same length by construction (the key is derived at the stored hash's length).
  return timingSafeEqual(candidate, parsed.hash) && valid;
}

/**
 * Build a hash with the given parameters that no password matches in practice (salt and
 * "hash" are random bytes, not the output of scrypt). Verifying against it costs exactly
 * what verifying against a real hash with the same parameters costs.
 */
export function makeDummyHash(
  params: ScryptParams = SCRYPT_DEFAULTS,
  saltBytes = SALT_BYTES,
  keyBytes = KEY_BYTES,
): string {
  return formatPasswordHash(params, randomBytes(saltBytes), randomBytes(keyBytes));
}

/** A dummy hash with the default parameters: see `verifyDummy`. */
export const DUMMY_HASH: string = makeDummyHash();

/**
 * Spend the time of one password verification and return `false`. Call it when the user
 * does not exist, so that "no such user" and "wrong password" take the same time and give
 * the same answer. Pass a dummy hash with the same parameters as the real hashes (see
 * `UserDirectory.dummyHash`) so the cost matches even when those differ from the defaults.
 */
export async function verifyDummy(
  password: string,
  dummy: string = DUMMY_HASH,
  derive?: DeriveKey,
): Promise<false> {
  // The result is ignored: whatever the comparison says, the answer is "no".
  await verifyPassword(password, dummy, derive);
  return false;
}
