// How the front door's limits are sized from the descriptor limit and checked against each
// other.
// (Admission, eviction and the budgets of a connection before login are the data plane's:
// src/native/gateway/test/front_door_test.cc.)
import { describe, expect, it } from 'vitest';
import {
  DESCRIPTOR_RESERVE,
  readDescriptorLimit,
  resolveFrontLimits,
} from '../../../src/gateway/front/limits.js';
import { validateConfig } from '../../../src/gateway/config/schema.js';
import { exampleConfig, exampleDocument } from './example-config.js';

describe('limits sized for the machine', () => {
  it('reads the soft limit on open files', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\n' +
      'Max open files            20000                40000                files\n';
    expect(readDescriptorLimit(text)).toBe(20_000);
    expect(readDescriptorLimit('Max open files  unlimited  unlimited  files')).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(readDescriptorLimit('nothing here')).toBe(1024);
    expect(readDescriptorLimit()).toBeGreaterThan(0);
  });

  it('gives connections a quarter of the descriptors, half of them before login', () => {
    const { limits, problems } = resolveFrontLimits(exampleConfig(), 20_000, 2);
    expect(problems).toEqual([]);
    expect(limits.connections).toBe(Math.floor((20_000 - DESCRIPTOR_RESERVE) / 4));
    expect(limits.unauthenticatedConnections).toBe(Math.floor(limits.connections / 2));
    expect(limits.loginVerifications).toBe(1);
    expect(limits.handshakeMs).toBe(10_000);
    expect(limits.requestMs).toBe(10_000);
    expect(resolveFrontLimits(exampleConfig(), 1_000_000, 16).limits).toMatchObject({
      connections: 16_384,
      loginVerifications: 8,
    });
  });

  it('refuses more connections than the process may open', () => {
    const config = exampleConfig();
    config.limits.connections = 30_000;
    expect(resolveFrontLimits(config, 20_000, 2).problems).toEqual([
      `limits.connections: 30000 is more than this process can open: its descriptor limit ` +
        `(ulimit -n) is 20000, ${DESCRIPTOR_RESERVE} of them kept for the gateway itself`,
    ]);
  });

  it('checks that the caps fit in each other', () => {
    const doc = exampleDocument() as { limits?: Record<string, number> };
    doc.limits = {
      maxRequestBodyBytes: 65_536,
      unauthenticatedBytesPerConnection: 32_768,
      unauthenticatedBytes: 16_384,
      connections: 10,
      unauthenticatedConnections: 20,
    };
    const result = validateConfig(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'limits.unauthenticatedBytesPerConnection: 32768 is less than maxRequestBodyBytes (65536)',
      'limits.unauthenticatedBytes: 16384 is less than unauthenticatedBytesPerConnection (32768)',
      'limits.connections: 10 is less than unauthenticatedConnections (20)',
    ]);
  });
});
