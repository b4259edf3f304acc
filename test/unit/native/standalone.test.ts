// Runs the native code's own tests outside Node (src/native/test/Makefile): unit tests built
// with AddressSanitizer and UndefinedBehaviorSanitizer, then every fuzzer for a bounded time.
// They cannot run inside Node: ASan refuses the RTLD_DEEPBIND the addons are loaded with.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/native/load.js';

const MAKEFILE_DIR = join(packageRoot(), 'src', 'native', 'test');
const FUZZ_SECONDS = process.env['FUZZ_SECONDS'] ?? '10';

function make(target: string): { status: number | null; output: string } {
  const run = spawnSync(
    'make',
    ['-s', '-C', MAKEFILE_DIR, target, `FUZZ_SECONDS=${FUZZ_SECONDS}`],
    {
      encoding: 'utf8',
      timeout: 15 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe('native code, standalone', () => {
  it(
    'passes its unit tests under ASan and UBSan',
    () => {
      const run = make('unit');
      if (run.status !== 0) console.error(run.output);
      expect(run.output).toMatch(/\d+ tests, 0 failed/);
      expect(run.status).toBe(0);
    },
    15 * 60_000,
  );

  it(
    'survives its fuzzers (every parser of untrusted bytes), bounded in time',
    () => {
      const run = make('fuzz');
      if (run.status !== 0) console.error(run.output);
      expect(run.status).toBe(0);
      expect(run.output).toMatch(/number_of_executed_units/);
    },
    15 * 60_000,
  );
});
