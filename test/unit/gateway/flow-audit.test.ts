// The data plane's flow events become audit lines built from cached parts; they must be the
// very lines `audit.write` would give for the same event (the audit log keeps its format).
import { describe, expect, it } from 'vitest';
import {
  flowAuditEvent,
  flowAuditFields,
  flowAuditPrefix,
} from '../../../src/gateway/data-plane.js';
import type { FlowEndEvent } from '../../../src/native/gateway.js';
import type { Session } from '../../../src/gateway/sessions.js';

const session = {
  id: '6f1c1d8e-1234-4abc-9def-000000000001',
  user: 'al"ice\\é',
  groups: ['staff'],
  sourceIp: '198.19.0.2',
  intranetIp: null,
} as unknown as Session;

const base: FlowEndEvent = {
  session: 1,
  protocol: 'tcp',
  verdict: 'allow',
  error: undefined,
  opened: true,
  policy: 1,
  resource: 'web',
  destination: 0xc612000a,
  prefix: 32,
  port: 80,
  bytesUp: 1234,
  bytesDown: 5_000_000_000,
  durationMs: 17,
  reserved: undefined,
};

describe('flow audit lines from the data plane', () => {
  it('are byte for byte what audit.write serializes', () => {
    const variants: FlowEndEvent[] = [
      base,
      { ...base, verdict: 'error', error: 'connection_refused', opened: false },
      { ...base, verdict: 'deny', policy: null, resource: null, reserved: 'loopback' },
      { ...base, protocol: 'icmp', port: undefined, destination: 0, prefix: 0, policy: null },
      { ...base, protocol: 'udp', resource: 'odd "name"', port: 53 },
    ];
    for (const event of variants) {
      const expected = JSON.stringify({ time: 'T', ...flowAuditEvent(session, event) });
      expect(`{"time":"T",${flowAuditFields(flowAuditPrefix(session), event)}`).toBe(expected);
    }
    expect(flowAuditEvent(session, variants[3] as FlowEndEvent)).toMatchObject({
      destination: '0.0.0.0/0',
    });
  });
});
