// The gateway data plane's own tests, outside Node (src/native/gateway/test/Makefile): unit
// tests built with g++, the same under AddressSanitizer and UndefinedBehaviorSanitizer, then
// every fuzzer of what a client sends (HTTP/1.1 heads and chunked bodies, authorities, MASQUE
// paths, bearer tokens) and of the control channel's framing, each for a bounded time.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/native/load.js';
import { make } from './make.js';

const MAKEFILE_DIR = join(packageRoot(), 'src', 'native', 'gateway', 'test');

describe('gateway data plane, standalone', () => {
  it(
    'passes its unit tests, plain and under ASan and UBSan',
    () => {
      for (const target of ['unit', 'asan']) {
        const run = make(MAKEFILE_DIR, target);
        if (run.status !== 0) console.error(run.output);
        expect(run.output).toMatch(/\d+ tests, 0 failed checks/);
        expect(run.status).toBe(0);
      }
    },
    15 * 60_000,
  );

  it(
    'survives its fuzzers, bounded in time',
    () => {
      const run = make(MAKEFILE_DIR, 'fuzz');
      if (run.status !== 0) console.error(run.output);
      expect(run.status).toBe(0);
      expect(run.output).toMatch(/Done \d+ runs/);
    },
    15 * 60_000,
  );
});
