/**
 * The local users file: a YAML list of
 *
 *     - name: alice
 *       password: "scrypt$N=32768,r=8,p=1$…$…"   # output of `passerelle-gateway hash-password`
 *       groups: [staff]                           # optional
 *       totp: JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP   # optional base32 secret, at least 128 bits
 *
 * The whole file is validated before anything is used: every problem is reported with its
 * path (`[2].password: …`), and a file with any problem is refused as a whole, never
 * half-loaded.
 *
 * User names are matched case-insensitively (after Unicode NFC normalisation), like the
 * login rate limiter keys them, so "Alice" logs in as the user "alice" and is locked out with
 * her; two entries differing only in case are refused. Policies see the name as written in
 * the file (`User.name`).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { makeDummyHash, parsePasswordHash, type ScryptParams } from './password.js';
import { base32Decode } from './totp.js';
import { canonicalUserName } from './user-name.js';

export interface User {
  /** The name as written in the users file. */
  readonly name: string;
  /** The stored scrypt hash (validated at load). */
  readonly passwordHash: string;
  readonly groups: readonly string[];
  /** The decoded TOTP key, when the user has a second factor. */
  readonly totpSecret?: Buffer;
}

/** Shortest TOTP secret accepted: 128 bits, the minimum of RFC 4226 §4 (R6). */
export const MIN_TOTP_SECRET_BYTES = 16;
const MAX_NAME_LENGTH = 128;

const nameKey = canonicalUserName;

/**
 * A digest of what proves the user's identity (password hash and one-time-code secret). A
 * session remembers the stamp it was issued under; when the users file changes either, the
 * stamp changes and the session ends at reload.
 */
export function credentialStamp(user: User): string {
  return createHash('sha256')
    .update(user.passwordHash)
    .update('\0')
    .update(user.totpSecret ?? Buffer.alloc(0))
    .digest('base64url');
}

/** A loaded, validated users file. */
export class UserDirectory {
  readonly #byName = new Map<string, User>();
  /**
   * A dummy hash with the parameters most users' hashes have, for `verifyDummy`: verifying
   * an unknown name then costs what verifying a real user costs.
   */
  readonly dummyHash: string;

  constructor(
    users: readonly User[],
    /** Non-fatal remarks from loading (e.g. file permissions), to log. */
    readonly warnings: readonly string[] = [],
  ) {
    const shapes = new Map<
      string,
      { count: number; params: ScryptParams; salt: number; key: number }
    >();
    for (const user of users) {
      const key = nameKey(user.name);
      if (this.#byName.has(key)) throw new Error(`duplicate user "${user.name}"`);
      this.#byName.set(key, Object.freeze({ ...user, groups: Object.freeze([...user.groups]) }));
      const { params, salt, hash } = parsePasswordHash(user.passwordHash);
      const id = `${params.N},${params.r},${params.p},${salt.length},${hash.length}`;
      const shape = shapes.get(id) ?? { count: 0, params, salt: salt.length, key: hash.length };
      shape.count++;
      shapes.set(id, shape);
    }
    const common = [...shapes.values()].sort((a, b) => b.count - a.count)[0];
    this.dummyHash = common
      ? makeDummyHash(common.params, common.salt, common.key)
      : makeDummyHash();
  }

  /** The user with this name (case-insensitive), if any. */
  find(name: string): User | undefined {
    if (typeof name !== 'string') return undefined;
    return this.#byName.get(nameKey(name));
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The users' names as written in the file. */
  names(): string[] {
    return [...this.#byName.values()].map((u) => u.name);
  }
}

const HASH_REASON = 'not a scrypt hash produced by "passerelle-gateway hash-password"';

const nameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_NAME_LENGTH, `longer than ${MAX_NAME_LENGTH} characters`)
  .regex(/^[^\s\p{C}]*$/u, 'must not contain spaces or control characters');

const userSchema = z.strictObject({
  name: nameSchema,
  password: z.string().superRefine((value, ctx) => {
    try {
      parsePasswordHash(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${HASH_REASON} (${(err as Error).message})` });
    }
  }),
  groups: z.array(nameSchema).optional(),
  totp: z
    .string()
    .superRefine((value, ctx) => {
      let key: Buffer;
      try {
        key = base32Decode(value);
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `not a base32 TOTP secret: ${(err as Error).message}`,
        });
        return;
      }
      if (key.length < MIN_TOTP_SECRET_BYTES) {
        ctx.addIssue({
          code: 'custom',
          message: `TOTP secret too short: ${key.length * 8} bits, at least ${MIN_TOTP_SECRET_BYTES * 8} needed (RFC 4226)`,
        });
      }
    })
    .optional(),
});

const fileSchema = z.array(userSchema);

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

interface Problem {
  path: PropertyKey[];
  message: string;
}

function describeIssue(issue: z.core.$ZodIssue): Problem[] {
  const path = [...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        path: [...path, k],
        message: 'unknown key (expected name, password, groups, totp)',
      }));
    case 'invalid_type': {
      const expected =
        issue.expected === 'array'
          ? 'a list'
          : issue.expected === 'object'
            ? 'a mapping'
            : `a ${issue.expected}`;
      if (issue.input === undefined) return [{ path, message: `missing (expected ${expected})` }];
      return [{ path, message: `expected ${expected}, got ${typeName(issue.input)}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

function problemOrder(a: Problem, b: Problem): number {
  const ia = typeof a.path[0] === 'number' ? a.path[0] : -1;
  const ib = typeof b.path[0] === 'number' ? b.path[0] : -1;
  return ia - ib;
}

/**
 * Parse and validate the text of a users file. `file` names it in error messages. Throws a
 * `ConfigError` listing every problem.
 */
export function parseUsers(text: string, file: string, warnings: string[] = []): UserDirectory {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return pos ? `line ${pos.line}, column ${pos.col}: ${message}` : message;
      }),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw new ConfigError(file, ['the file is empty: expected a list of users (use [] for none)']);
  }
  if (!Array.isArray(data)) {
    throw new ConfigError(file, [`expected a list of users, got ${typeName(data)}`]);
  }

  const problems: Problem[] = [];
  const result = fileSchema.safeParse(data, { reportInput: true });
  if (!result.success)
    for (const issue of result.error.issues) problems.push(...describeIssue(issue));

  // Duplicates, among the entries whose name is usable.
  const seen = new Map<string, number>();
  data.forEach((entry: unknown, index) => {
    const name = (entry as { name?: unknown } | null)?.name;
    if (!nameSchema.safeParse(name).success) return;
    const key = nameKey(name as string);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else {
      problems.push({
        path: [index, 'name'],
        message: `duplicate user "${String(name)}" (already at [${first}]; names are case-insensitive)`,
      });
    }
  });

  if (problems.length > 0 || !result.success) {
    problems.sort(problemOrder); // stable: per entry, in the order found
    throw new ConfigError(
      file,
      problems.map((p) => (p.path.length > 0 ? `${formatPath(p.path)}: ${p.message}` : p.message)),
    );
  }

  const users: User[] = result.data.map((u) => ({
    name: u.name.normalize('NFC'),
    passwordHash: u.password,
    groups: [...new Set(u.groups ?? [])],
    ...(u.totp !== undefined ? { totpSecret: base32Decode(u.totp) } : {}),
  }));
  return new UserDirectory(users, warnings);
}

/**
 * Load and validate a users file. Throws a `ConfigError` (with `problems`) when it cannot be
 * read or is invalid in any way. `displayName` is how the file is named in messages (default:
 * `path` as given).
 */
export async function loadUsers(path: string, displayName: string = path): Promise<UserDirectory> {
  let text: string;
  const warnings: string[] = [];
  try {
    text = await readFile(path, 'utf8');
    if (process.platform !== 'win32') {
      const { mode } = await stat(path);
      if ((mode & 0o077) !== 0) {
        warnings.push(
          `${displayName}: readable by other users (mode ${(mode & 0o777).toString(8)}); it holds password hashes and TOTP secrets: chmod 600 it`,
        );
      }
    }
  } catch (err) {
    throw new ConfigError(displayName, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseUsers(text, displayName, warnings);
}
