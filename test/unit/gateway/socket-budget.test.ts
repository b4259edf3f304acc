import { describe, expect, it } from 'vitest';
// (The budget itself is the data plane's: src/native/gateway/test/tables_test.cc. The limit
// is read with the configuration: test/unit/gateway/front-door.test.ts.)
import { flowsTotal } from '../../../src/gateway/forward/socket-budget.js';

describe('the overall cap', () => {
  it('is 60 % of the open-files limit unless configured', () => {
    expect(flowsTotal(undefined, 20_000)).toBe(12_000);
    expect(flowsTotal(500, 20_000)).toBe(500);
    // The fallback where the limit cannot be read (1,024) and an unlimited one.
    expect(flowsTotal(undefined, 1024)).toBe(614);
    // Never past what the data plane's 32-bit counts hold.
    expect(flowsTotal(undefined, Number.MAX_SAFE_INTEGER)).toBe(2_147_483_647);
  });
});
