// The front door's bookkeeping without sockets: who is admitted, who is evicted, what a
// connection's requests may hold, and how the limits are sized from the descriptor limit.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Admission, sourceOf, type Ticket } from '../../../src/gateway/front/admission.js';
import {
  ClientConnection,
  type FrontDoorState,
} from '../../../src/gateway/front/client-connection.js';
import {
  DESCRIPTOR_RESERVE,
  readDescriptorLimit,
  resolveFrontLimits,
  type FrontLimits,
} from '../../../src/gateway/front/limits.js';
import { GatewayMetrics } from '../../../src/gateway/metrics.js';
import { validateConfig } from '../../../src/gateway/config/schema.js';
import { exampleConfig, exampleDocument } from './example-config.js';

const LIMITS = {
  connections: 10,
  connectionsPerSource: 6,
  unauthenticatedConnections: 5,
  unauthenticatedConnectionsPerSource: 3,
};

describe('admission', () => {
  it('refuses past the cap per source before login, and counts a login out of it', () => {
    const admission = new Admission(LIMITS);
    const tickets = [1, 2, 3].map(() => admission.admit('a', () => undefined) as Ticket);
    expect(admission.admit('a', () => undefined)).toBe('unauthenticated-connections-per-source');
    admission.authenticate(tickets[0] as Ticket);
    expect(admission.unauthenticatedSize).toBe(2);
    expect(admission.admit('a', () => undefined)).toBeInstanceOf(Object);
    expect(admission.size).toBe(4);
  });

  it('refuses past the cap per source and overall, logged in or not', () => {
    const admission = new Admission(LIMITS);
    for (let i = 0; i < 6; i++) {
      const ticket = admission.admit('a', () => undefined) as Ticket;
      admission.authenticate(ticket);
    }
    expect(admission.admit('a', () => undefined)).toBe('connections-per-source');
    for (let i = 0; i < 4; i++) {
      const ticket = admission.admit(`b${i}`, () => undefined) as Ticket;
      admission.authenticate(ticket);
    }
    expect(admission.admit('c', () => undefined)).toBe('connections');
  });

  it('past the overall cap before login, closes the oldest of the source holding the most', () => {
    const admission = new Admission(LIMITS);
    const evicted: string[] = [];
    const admit = (source: string, name: string) =>
      admission.admit(source, () => evicted.push(name)) as Ticket;
    admit('user', 'user-1');
    admit('attacker', 'attacker-1');
    admit('attacker', 'attacker-2');
    admit('attacker', 'attacker-3');
    admit('other', 'other-1');
    // Full (5): a newcomer evicts the attacker's oldest, not the user's older connection.
    const late = admit('late', 'late-1');
    expect(evicted).toEqual(['attacker-1']);
    expect(late).toBeInstanceOf(Object);
    expect(admission.unauthenticatedSize).toBe(5);
    admit('late', 'late-2');
    expect(evicted).toEqual(['attacker-1', 'attacker-2']);
    // An evicted connection's own close later changes nothing.
    expect(admission.size).toBe(5);
  });

  it('releases once, whatever the order of login and close', () => {
    const admission = new Admission(LIMITS);
    const ticket = admission.admit('a', () => undefined) as Ticket;
    admission.release(ticket);
    admission.release(ticket);
    admission.authenticate(ticket);
    expect(admission.size).toBe(0);
    expect(admission.unauthenticatedSize).toBe(0);
    const other = admission.admit('a', () => undefined) as Ticket;
    admission.authenticate(other);
    admission.release(other);
    expect([admission.size, admission.unauthenticatedSize]).toEqual([0, 0]);
  });

  it('counts an IPv4 source once whether it arrives mapped or not, and IPv6 per /64', () => {
    expect(sourceOf('::ffff:198.19.0.2')).toBe('198.19.0.2');
    expect(sourceOf('198.19.0.2')).toBe('198.19.0.2');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('unknown');
  });
});

describe('a connection before login', () => {
  let limits: FrontLimits;
  let door: FrontDoorState;
  let closed: number;

  beforeEach(() => {
    vi.useFakeTimers();
    limits = resolveFrontLimits(exampleConfig(), 20_000, 2).limits;
    limits.unauthenticatedStreams = 2;
    limits.unauthenticatedBytesPerConnection = 1000;
    limits.unauthenticatedBytes = 1500;
    const metrics = new GatewayMetrics();
    door = {
      limits: () => limits,
      metrics,
      admission: new Admission(limits),
      unauthenticatedBytes: 0,
      countConnections: () => undefined,
    };
    closed = 0;
  });
  afterEach(() => vi.useRealTimers());

  function connect(): ClientConnection {
    const ticket = door.admission.admit('a', () => undefined) as Ticket;
    const client = new ClientConnection(ticket, door, () => closed++);
    client.start('h2', () => closed++);
    return client;
  }

  it('holds at most so many requests and bytes, per connection and overall', () => {
    const client = connect();
    const first = client.openRequest(false, () => undefined);
    const second = client.openRequest(false, () => undefined);
    expect(client.openRequest(false, () => undefined)).toBe('unauthenticated-streams');
    // A request with a valid session is not held against the limits before login.
    expect(client.openRequest(true, () => undefined)).toBeInstanceOf(Object);
    if (typeof first === 'string' || typeof second === 'string') throw new Error('refused');
    expect(first.take(600)).toBe('ok');
    expect(second.take(500)).toBe('unauthenticated-bytes-per-connection');
    const other = connect().openRequest(false, () => undefined);
    if (typeof other === 'string') throw new Error('refused');
    expect(other.take(901)).toBe('unauthenticated-bytes');
    first.finish();
    expect(door.unauthenticatedBytes).toBe(0);
    expect(other.take(901)).toBe('ok');
    expect(client.openRequest(false, () => undefined)).toBeInstanceOf(Object);
  });

  it('answers a request that has not arrived whole in time, and closes a silent connection', () => {
    const client = connect();
    let late = 0;
    const request = client.openRequest(false, () => late++);
    if (typeof request === 'string') throw new Error('refused');
    vi.advanceTimersByTime(limits.requestMs - 1);
    expect([late, closed]).toEqual([0, 0]);
    vi.advanceTimersByTime(1);
    expect(late).toBe(1);
    // Answered: the connection waits for the next request, as long again.
    request.finish();
    vi.advanceTimersByTime(limits.requestMs);
    expect(closed).toBe(1);
  });

  it('is no longer closed for silence once logged in over HTTP/2', () => {
    const client = connect();
    client.markAuthenticated();
    vi.advanceTimersByTime(limits.requestMs * 3);
    expect(closed).toBe(0);
    expect(door.admission.unauthenticatedSize).toBe(0);
    client.onSocketClose();
    expect(door.admission.size).toBe(0);
  });
});

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
