import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/gateway/config/errors.js';
import { hashPassword, parsePasswordHash } from '../../../src/gateway/auth/password.js';
import { loadUsers, parseUsers } from '../../../src/gateway/auth/users.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'; // 160 bits
let dir: string;
let hash: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'passerelle-users-'));
  hash = await hashPassword('pw');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function problemsOf(text: string): string[] {
  try {
    parseUsers(text, 'users.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.file).toBe('users.yaml');
    expect(e.message).toBe(e.problems.map((p) => `users.yaml: ${p}`).join('\n'));
    return e.problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadUsers', () => {
  it('loads a valid file', async () => {
    const path = join(dir, 'users.yaml');
    await writeFile(
      path,
      [
        `- name: alice`,
        `  password: "${hash}"`,
        `  groups: [staff, ops, staff]`,
        `  totp: ${SECRET.toLowerCase()}`,
        `- { name: bob, password: "${hash}", groups: [staff] }`,
        `- name: carol`,
        `  password: ${hash}`,
      ].join('\n'),
      { mode: 0o600 },
    );
    const users = await loadUsers(path);
    expect(users.size).toBe(3);
    expect(users.names()).toEqual(['alice', 'bob', 'carol']);
    expect(users.warnings).toEqual([]);
    const alice = users.find('alice');
    expect(alice?.groups).toEqual(['staff', 'ops']);
    expect(alice?.totpSecret?.toString('hex')).toBe('48656c6c6f21deadbeef'.repeat(2));
    expect(users.find('bob')?.totpSecret).toBeUndefined();
    expect(users.find('carol')?.groups).toEqual([]);
    expect(users.find('ALICE')?.name).toBe('alice');
    expect(users.find('mallory')).toBeUndefined();
    expect(users.find('__proto__')).toBeUndefined();
    expect(Object.isFrozen(alice)).toBe(true);
    expect(parsePasswordHash(users.dummyHash).params).toEqual({ N: 32768, r: 8, p: 1 });
  });

  it('accepts an empty list', () => {
    expect(parseUsers('[]', 'users.yaml').size).toBe(0);
  });

  it('warns when the file is readable by others', async () => {
    const path = join(dir, 'open.yaml');
    await writeFile(path, '[]');
    await chmod(path, 0o644);
    const users = await loadUsers(path, 'users.yaml');
    expect(users.warnings).toEqual([
      'users.yaml: readable by other users (mode 644); it holds password hashes and TOTP secrets: chmod 600 it',
    ]);
  });

  it('reports a missing file as a ConfigError', async () => {
    const path = join(dir, 'nope.yaml');
    await expect(loadUsers(path)).rejects.toMatchObject({
      file: path,
      problems: [expect.stringMatching(/^cannot read the file: ENOENT/)],
    });
  });
});

describe('validation messages', () => {
  it('reports every problem with its path, in file order', () => {
    const problems = problemsOf(
      [
        `- { name: alice, password: "${hash}" }`,
        `- { name: bob, password: "hunter2" }`,
        `- { name: "", password: "${hash}", groups: staff }`,
        `- { name: carol, passwd: "${hash}" }`,
        `- { name: dave, password: "${hash}", totp: "NOT-BASE32" }`,
        `- { name: Alice, password: "${hash}", groups: [ok, 7, "with space"] }`,
        `- { name: erin, password: "${hash}", totp: JBSWY3DPEHPK3PXP }`,
        `- just a string`,
      ].join('\n'),
    );
    expect(problems).toEqual([
      '[1].password: not a scrypt hash produced by "passerelle-gateway hash-password" (expected "scrypt$N=…,r=…,p=…$<salt>$<hash>")',
      '[2].name: must not be empty',
      '[2].groups: expected a list, got a string',
      '[3].password: missing (expected a string)',
      '[3].passwd: unknown key (expected name, password, groups, totp)',
      '[4].totp: not a base32 TOTP secret: invalid base32 character "-" at position 4 (allowed: A-Z and 2-7)',
      '[5].groups[1]: expected a string, got a number',
      '[5].groups[2]: must not contain spaces or control characters',
      '[5].name: duplicate user "Alice" (already at [0]; names are case-insensitive)',
      '[6].totp: TOTP secret too short: 80 bits, at least 128 needed (RFC 4226)',
      '[7]: expected a mapping, got a string',
    ]);
  });

  it('names the problem in a damaged hash', () => {
    const broken = hash.replace('N=32768', 'N=1000');
    expect(problemsOf(`- { name: a, password: "${broken}" }`)).toEqual([
      '[0].password: not a scrypt hash produced by "passerelle-gateway hash-password" (scrypt N must be a power of two between 2 and 1048576, got 1000)',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('- name: a\n  password: [unclosed\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('reports duplicate keys', () => {
    const problems = problemsOf(`- name: a\n  name: b\n  password: "${hash}"\n`);
    expect(problems[0]).toMatch(/^line 2, column 3: .*unique/i);
  });

  it('refuses an empty file and a non-list', () => {
    expect(problemsOf('')).toEqual([
      'the file is empty: expected a list of users (use [] for none)',
    ]);
    expect(problemsOf('# only a comment\n')).toHaveLength(1);
    expect(problemsOf('alice: x')).toEqual(['expected a list of users, got a mapping']);
  });
});
