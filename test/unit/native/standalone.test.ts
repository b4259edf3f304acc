// Runs the native code's own tests outside Node (src/native/test/Makefile): unit tests built
// with AddressSanitizer and UndefinedBehaviorSanitizer, then every fuzzer for a bounded time.
// They cannot run inside Node: ASan refuses the RTLD_DEEPBIND the addons are loaded with.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/native/load.js';
import { make } from './make.js';

const MAKEFILE_DIR = join(packageRoot(), 'src', 'native', 'test');

describe('native code, standalone', () => {
  it(
    'passes its unit tests under ASan and UBSan',
    () => {
      const run = make(MAKEFILE_DIR, 'unit');
      if (run.status !== 0) console.error(run.output);
      expect(run.output).toMatch(/\d+ tests, 0 failed/);
      expect(run.status).toBe(0);
    },
    15 * 60_000,
  );

  it(
    'survives its fuzzers (every parser of untrusted bytes), bounded in time',
    () => {
      const run = make(MAKEFILE_DIR, 'fuzz');
      if (run.status !== 0) console.error(run.output);
      expect(run.status).toBe(0);
      expect(run.output).toMatch(/number_of_executed_units/);
    },
    15 * 60_000,
  );
});
