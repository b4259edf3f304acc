import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditName, type AuditEvent, type AuditLog } from '../../../src/gateway/audit.js';
import { LoginRefusalLog } from '../../../src/gateway/login-refusals.js';

function memoryLog(): AuditLog & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    write: (event) => events.push(event),
    reopen: () => undefined,
    close: async () => undefined,
  };
}

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('refused logins in the audit log (issue #8: 45 MB in 20 s)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes one line per source and interval, with counts and a few bounded names', () => {
    vi.useFakeTimers();
    const audit = memoryLog();
    const refusals = new LoginRefusalLog(audit, () => 60_000);
    for (let i = 0; i < 10_000; i++)
      refusals.record('198.19.0.2', `${'x'.repeat(1000)}${i}`, 'rate-limited', T0 + i);
    refusals.record('198.19.0.2', 'alice', 'locked-out', T0 + 10_000);
    refusals.record('2001:db8::1', 'bob', 'locked-out', T0 + 10_001);
    refusals.record('2001:db8::2', 'bob', 'locked-out', T0 + 10_002);
    expect(audit.events).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(audit.events).toEqual([
      {
        event: 'login-refused',
        sourceIp: '198.19.0.2',
        count: 10_001,
        reasons: { 'rate-limited': 10_000, 'locked-out': 1 },
        // Cut to 64 characters, the 10,000 names are one.
        users: [`${'x'.repeat(64)}…`, 'alice'],
        otherNames: 0,
        from: new Date(T0).toISOString(),
        to: new Date(T0 + 10_000).toISOString(),
      },
      // IPv6 sources are grouped by /64, as the login limiter groups them.
      expect.objectContaining({ sourceIp: '2001:db8:0:0:0:0:0:0/64', count: 2, users: ['bob'] }),
    ]);
    expect(JSON.stringify(audit.events).length).toBeLessThan(1_000);
    // A new interval starts with the next refusal.
    refusals.record('198.19.0.2', 'carol', 'rate-limited', T0 + 70_000);
    refusals.flush();
    expect(audit.events.at(-1)).toMatchObject({ count: 1, users: ['carol'], otherNames: 0 });
  });

  it('lists up to five names and counts the refusals for others', () => {
    const audit = memoryLog();
    const refusals = new LoginRefusalLog(audit, () => 60_000);
    for (const name of ['a', 'b', 'a', 'c', 'd', 'e', 'f', 'g', 'a'])
      refusals.record('198.19.0.2', name, 'rate-limited', T0);
    refusals.flush();
    expect(audit.events[0]).toMatchObject({
      count: 9,
      users: ['a', 'b', 'c', 'd', 'e'],
      otherNames: 2,
    });
  });

  it('gathers sources past a thousand in one interval into one line', () => {
    const audit = memoryLog();
    const refusals = new LoginRefusalLog(audit, () => 60_000);
    for (let i = 0; i < 1_500; i++)
      refusals.record(`10.0.${i >> 8}.${i & 255}`, 'alice', 'rate-limited', T0);
    refusals.flush();
    expect(audit.events).toHaveLength(1_001);
    expect(audit.events.at(-1)).toMatchObject({ sourceIp: 'other', count: 500 });
  });
});

describe('names in the audit log', () => {
  it('are cut to 64 characters', () => {
    expect(auditName('alice')).toBe('alice');
    expect(auditName('é'.repeat(64))).toBe('é'.repeat(64));
    expect(auditName('y'.repeat(100_000))).toBe(`${'y'.repeat(64)}…`);
    // Characters, not UTF-16 units: an emoji is not split.
    expect(auditName('😀'.repeat(65))).toBe(`${'😀'.repeat(64)}…`);
  });
});
