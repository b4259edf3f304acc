// `npm run ui:preview` still plays its scripted session (headless here: no display), so that a
// newcomer's first look at the app works.
import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/harness.js';

const run = promisify(execFile);
const OUT = join(ROOT, 'test-artifacts', 'ui-preview');

describe('npm run ui:preview', () => {
  it('plays login, traffic, a lost connection and an unreachable gateway', async () => {
    rmSync(OUT, { recursive: true, force: true });
    // As package.json's ui:preview script bundles it.
    await build({
      entryPoints: [join(ROOT, 'test/ui/preview.ts')],
      outfile: join(OUT, 'preview.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    const { stdout } = await run(process.execPath, [join(OUT, 'preview.mjs'), '--screenshots'], {
      cwd: ROOT,
      timeout: 90_000,
    });
    expect(stdout).toContain('6. Gateway unreachable');
    expect(readdirSync(OUT).filter((f) => f.endsWith('.png'))).toEqual([
      '01-login-form.png',
      '02-connecting-phases.png',
      '03-connected-with-traffic.png',
      '04-connection-lost-reconnecting.png',
      '05-back-again.png',
      '06-gateway-unreachable.png',
    ]);
  }, 120_000);
});
