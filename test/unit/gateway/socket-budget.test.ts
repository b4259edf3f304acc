import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
// (The budget itself is the data plane's: src/native/gateway/test/tables_test.cc.)
import { descriptorLimit, flowsTotal } from '../../../src/gateway/forward/socket-budget.js';

describe('the overall cap', () => {
  it('is 60 % of the open-files limit unless configured', () => {
    expect(flowsTotal(undefined, 20_000)).toBe(12_000);
    expect(flowsTotal(500, 20_000)).toBe(500);
    expect(flowsTotal(undefined, undefined)).toBe(8_000);
  });

  it('reads the soft limit from /proc/self/limits', () => {
    const file = join(tmpdir(), `limits-${process.pid}`);
    writeFileSync(
      file,
      [
        'Limit                     Soft Limit           Hard Limit           Units     ',
        'Max processes             63229                63229                processes ',
        'Max open files            20000                20000                files     ',
      ].join('\n'),
    );
    expect(descriptorLimit(file)).toBe(20_000);
    expect(descriptorLimit(join(tmpdir(), 'no-such-file'))).toBeUndefined();
    // This process's own limit, on Linux.
    expect(descriptorLimit()).toBeGreaterThan(0);
  });
});
