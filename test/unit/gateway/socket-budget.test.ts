import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  SocketBudget,
  descriptorLimit,
  flowsTotal,
  type SocketLease,
} from '../../../src/gateway/forward/socket-budget.js';

describe('flow sockets, per user and overall', () => {
  it('refuses past the per-user cap without touching other users', () => {
    const seen: number[] = [];
    const budget = new SocketBudget(
      () => ({ perUser: 3, total: 10 }),
      (n) => seen.push(n),
    );
    const leases: SocketLease[] = [];
    for (let i = 0; i < 3; i++) {
      const grant = budget.acquire('alice');
      if (!grant.ok) throw new Error('refused');
      leases.push(grant.lease);
    }
    expect(budget.acquire('alice')).toEqual({
      ok: false,
      limit: 'flows-per-user',
      details: 'at most 3 open flows per user',
    });
    expect(budget.acquire('bob').ok).toBe(true);
    expect(budget.inUse).toBe(4);
    // Released once, even when released twice.
    leases[0]?.release();
    leases[0]?.release();
    expect(budget.heldBy('alice')).toBe(2);
    expect(budget.acquire('alice').ok).toBe(true);
    expect(seen).toEqual([1, 2, 3, 4, 3, 4]);
  });

  it('refuses past the overall cap, and follows a changed limit', () => {
    let total = 4;
    const budget = new SocketBudget(() => ({ perUser: 3, total }));
    for (const user of ['a', 'a', 'b', 'b']) expect(budget.acquire(user).ok).toBe(true);
    expect(budget.acquire('c')).toMatchObject({ ok: false, limit: 'flows-total' });
    total = 5;
    expect(budget.acquire('c').ok).toBe(true);
  });
});

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
