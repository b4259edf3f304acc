// The helper's message boundary without a helper: the bounded line splitter both sides read
// with, and the request schema every request passes before the helper looks at it.
import { describe, expect, it } from 'vitest';
import {
  describeIssue,
  helperRequestSchema,
  MAX_MESSAGE_BYTES,
} from '../../../src/shared/helper-protocol.js';
import { LineSplitter } from '../../../src/shared/line-splitter.js';

describe('LineSplitter', () => {
  it('joins lines across chunks and splits several in one chunk', () => {
    const lines = new LineSplitter(100);
    expect(lines.push(Buffer.from('{"a":'))).toEqual([]);
    expect(lines.push(Buffer.from('1}\n{"b":2}\n{"c"'))).toEqual([
      { line: '{"a":1}' },
      { line: '{"b":2}' },
    ]);
    expect(lines.push(Buffer.from(':3}\n'))).toEqual([{ line: '{"c":3}' }]);
  });

  it('keeps a multi-byte character split between chunks', () => {
    const bytes = Buffer.from('"é"\n');
    const lines = new LineSplitter(100);
    expect(lines.push(bytes.subarray(0, 2))).toEqual([]);
    expect(lines.push(bytes.subarray(2))).toEqual([{ line: '"é"' }]);
  });

  it('reports a line over the bound once, even before its newline, then ignores the rest', () => {
    const lines = new LineSplitter(10);
    expect(lines.push(Buffer.from('12345'))).toEqual([]);
    expect(lines.push(Buffer.from('678901'))).toEqual([{ tooLong: 11 }]);
    expect(lines.push(Buffer.from('\n{"ok":1}\n'))).toEqual([]);
  });

  it('accepts a line of exactly the bound', () => {
    const lines = new LineSplitter(4);
    expect(lines.push(Buffer.from('abcd\n'))).toEqual([{ line: 'abcd' }]);
  });
});

describe('helperRequestSchema', () => {
  const plan = {
    tunName: 'passerelle0',
    address: '100.64.0.2',
    prefixLength: 32,
    spareAddress: '192.0.0.8',
    mtu: 65_000,
    routes: ['198.18.0.0/23'],
    splitTunnel: true,
    gatewayIp: '198.19.0.1',
    dns: { servers: ['198.18.0.53'], domains: ['corp.test'] },
  };

  it('accepts each operation', () => {
    for (const request of [
      { id: 1, op: 'open-tun', name: 'passerelle0' },
      { id: 2, op: 'configure', plan },
      { id: 3, op: 'refresh-host-route', tunName: 'passerelle0' },
      { id: 4, op: 'reapply-dns', tunName: 'passerelle0' },
      { id: 5, op: 'release', tunName: 'passerelle0' },
    ])
      expect(helperRequestSchema.safeParse(request).success, request.op).toBe(true);
  });

  it('refuses unknown operations, unknown fields, and names that are not interface names', () => {
    const refused = (request: unknown) => {
      const result = helperRequestSchema.safeParse(request);
      return result.success ? null : describeIssue(result.error);
    };
    expect(refused({ id: 1, op: 'exec', argv: ['sh'] })).toMatch(/op/);
    expect(refused({ id: 1, op: 'open-tun', name: 'tun0', uid: 0 })).toMatch(/uid|unrecognized/i);
    for (const name of ['', 'a b', '../x', 'a;reboot', '0tun', 'x'.repeat(16), 'tun0\n'])
      expect(refused({ id: 1, op: 'open-tun', name }), name).toMatch(/^name: /);
    expect(refused({ id: 1, op: 'configure', plan: { ...plan, extra: 1 } })).toMatch(/plan/);
    expect(refused({ id: 1, op: 'configure', plan: { ...plan, routes: ['default'] } })).toMatch(
      /^plan\.routes\.0: /,
    );
    expect(refused({ id: -1, op: 'release', tunName: 'a' })).toMatch(/^id: /);
  });

  it('keeps a request of the largest valid plan under the message bound', () => {
    const largest = {
      id: Number.MAX_SAFE_INTEGER,
      op: 'configure',
      plan: {
        ...plan,
        routes: Array.from({ length: 256 }, () => '255.255.255.255/32'),
        dns: {
          servers: Array.from({ length: 8 }, () => 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
          domains: Array.from({ length: 32 }, () => 'a'.repeat(253)),
        },
      },
    };
    expect(helperRequestSchema.safeParse(largest).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThan(MAX_MESSAGE_BYTES);
  });
});
