// The passerelle-gateway CLI, built: `check` on good and bad files, and `hash-password`.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/gateway/auth/password.js';
import { exampleConfig, GATEWAY_CLI, writeUsers } from '../lab/gateway-lab.js';
import { makePki } from '../lab/pki.js';

function cli(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'node',
      [GATEWAY_CLI, ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

describe('passerelle-gateway CLI', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    makePki(dir, '198.19.0.1');
    await writeUsers(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('check exits 0 on the example configuration', async () => {
    const r = await cli(['check', '--config', write('good.yaml', exampleConfig())]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/good\.yaml: OK \(5 resources, 2 policies\)/);
  });

  it('check exits 2 and prints each problem with its path', async () => {
    const bad = exampleConfig()
      .replace('allow: [web, dns, ping, echo]', 'allow: [wbe, dns, ping, echo]')
      .replace('address: 198.18.1.0/24', 'address: 198.18.1.1/24')
      .replace('ports: [53]', 'ports: ["60-50"]');
    const r = await cli(['check', '--config', write('bad.yaml', `${bad}colour: blue\n`)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/bad\.yaml: 4 problems$/);
    expect(lines.slice(1).map((l) => l.trim())).toEqual(
      expect.arrayContaining([
        'policies[1].allow[0]: unknown resource "wbe"',
        'resources[4].address: "198.18.1.1/24" has host bits set (did you mean 198.18.1.0/24?)',
        'resources[1].ports[0]: "60-50" is not a port (1-65535) or a range "from-to"',
        '(top level): unknown key "colour"',
      ]),
    );
  });

  it('check reports files it cannot read, and serve refuses a bad file the same way', async () => {
    const missing = await cli(['check', '--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/config: cannot read .*nope\.yaml \(ENOENT\)/);
    const bad = write('bad-serve.yaml', exampleConfig().replace('deny: [web]', 'deny: [wbe]'));
    const serve = await cli(['serve', '--config', bad]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('policies[0].deny[0]: unknown resource "wbe"');
    expect(serve.stdout).not.toMatch(/listening/);
  });

  it('check and serve need --config, and an unknown command is refused', async () => {
    expect((await cli(['check'])).code).toBe(64);
    expect((await cli(['frobnicate'])).code).toBe(64);
    expect((await cli(['--help'])).code).toBe(0);
  });

  it('hash-password reads stdin and prints a scrypt hash that verifies', async () => {
    const r = await cli(['hash-password'], 'correct horse battery staple\n');
    expect(r.code).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/scrypt/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    const again = await cli(['hash-password'], 'correct horse battery staple\n');
    expect(again.stdout.trim()).not.toBe(hash); // salted
    const empty = await cli(['hash-password'], '\n');
    expect(empty.code).toBe(64);
  });
});
