import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/shared/net/ipv4.js';
import type { GatewayConfigFile } from '../../../src/gateway/config/schema.js';
import { validateConfig } from '../../../src/gateway/config/schema.js';
import { Policy, type FlowRequest, type Subject } from '../../../src/gateway/policy.js';
import { ReservedDestinations, ownAddressBlocks } from '../../../src/gateway/reserved.js';
import { parseCidr } from '../../../src/shared/net/ipv4.js';
import { exampleConfig, exampleDocument } from './example-config.js';

const alice: Subject = { user: 'alice', groups: ['staff'] };
const bob: Subject = { user: 'bob', groups: ['staff'] };
const carol: Subject = { user: 'carol', groups: [] };
const dave: Subject = { user: 'dave', groups: ['ops', 'staff'] };

const tcp = (address: string, port: number): FlowRequest => ({
  protocol: 'tcp',
  address: parseIPv4(address),
  port,
});
const udp = (address: string, port: number): FlowRequest => ({
  protocol: 'udp',
  address: parseIPv4(address),
  port,
});
const icmp = (address: string): FlowRequest => ({ protocol: 'icmp', address: parseIPv4(address) });

/** A Policy from resources and policies written as in the YAML file (validated by the schema). */
function policyFrom(
  resources: unknown[],
  policies: unknown[],
  reserved?: ReservedDestinations,
): Policy {
  const doc = { ...exampleDocument(), resources, policies };
  const result = validateConfig(doc);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return new Policy(result.config.resources, result.config.policies, reserved);
}

describe('policy of the issue example', () => {
  const config: GatewayConfigFile = exampleConfig();
  const policy = new Policy(config.resources, config.policies);

  it('lets staff reach web on port 80 and the 8000-8099 range, TCP only', () => {
    expect(policy.decide(alice, tcp('198.18.0.10', 80))).toEqual({
      verdict: 'allow',
      policy: 1,
      resource: 'web',
    });
    expect(policy.decide(alice, tcp('198.18.0.10', 8000)).verdict).toBe('allow');
    expect(policy.decide(alice, tcp('198.18.0.10', 8099)).verdict).toBe('allow');
    expect(policy.decide(alice, tcp('198.18.0.10', 7999)).verdict).toBe('deny');
    expect(policy.decide(alice, tcp('198.18.0.10', 8100)).verdict).toBe('deny');
    expect(policy.decide(alice, tcp('198.18.0.10', 81)).verdict).toBe('deny');
    expect(policy.decide(alice, udp('198.18.0.10', 80)).verdict).toBe('deny');
    expect(policy.decide(alice, tcp('198.18.0.11', 80)).verdict).toBe('deny');
  });

  it('takes the first matching policy: bob is staff but denied web', () => {
    expect(policy.decide(bob, tcp('198.18.0.10', 80))).toEqual({
      verdict: 'deny',
      policy: 0,
      resource: 'web',
    });
    expect(policy.decide(bob, tcp('198.18.0.10', 8050))).toEqual({
      verdict: 'deny',
      policy: 0,
      resource: 'web',
    });
    // Bob's deny names web only: the staff policy still gives him dns and ping.
    expect(policy.decide(bob, udp('198.18.0.53', 53))).toEqual({
      verdict: 'allow',
      policy: 1,
      resource: 'dns',
    });
    expect(policy.decide(bob, icmp('198.18.0.10'))).toEqual({
      verdict: 'allow',
      policy: 1,
      resource: 'ping',
    });
  });

  it('allows dns over UDP and TCP on port 53 only, and ping as ICMP only', () => {
    expect(policy.decide(alice, udp('198.18.0.53', 53)).verdict).toBe('allow');
    expect(policy.decide(alice, tcp('198.18.0.53', 53)).verdict).toBe('allow');
    expect(policy.decide(alice, udp('198.18.0.53', 5353)).verdict).toBe('deny');
    // dns lists ports and tcp/udp: no ICMP to the DNS server.
    expect(policy.decide(alice, icmp('198.18.0.53'))).toEqual({
      verdict: 'deny',
      policy: null,
      resource: null,
    });
    expect(policy.decide(alice, icmp('198.18.0.10'))).toEqual({
      verdict: 'allow',
      policy: 1,
      resource: 'ping',
    });
  });

  it('denies by default: nobody is allowed the secret network, carol matches no policy', () => {
    expect(policy.decide(alice, tcp('198.18.1.10', 80))).toEqual({
      verdict: 'deny',
      policy: null,
      resource: null,
    });
    expect(policy.decide(alice, icmp('198.18.1.10')).verdict).toBe('deny');
    expect(policy.decide(carol, tcp('198.18.0.10', 80))).toEqual({
      verdict: 'deny',
      policy: null,
      resource: null,
    });
    expect(policy.decide(carol, icmp('198.18.0.10')).verdict).toBe('deny');
  });

  it('matches a user through any of their groups', () => {
    expect(policy.decide(dave, tcp('198.18.0.10', 80)).verdict).toBe('allow');
    expect(policy.decide({ user: 'erin', groups: ['ops'] }, tcp('198.18.0.10', 80)).verdict).toBe(
      'deny',
    );
  });

  it('lists the allowed resources per user: bob sees dns and ping, not web', () => {
    const web = {
      name: 'web',
      address: '198.18.0.10/32',
      ports: [
        { from: 80, to: 80 },
        { from: 8000, to: 8099 },
      ],
      protocols: ['tcp'],
    };
    const dns = {
      name: 'dns',
      address: '198.18.0.53/32',
      ports: [{ from: 53, to: 53 }],
      protocols: ['tcp', 'udp'],
    };
    const ping = { name: 'ping', address: '198.18.0.10/32', ports: [], protocols: ['icmp'] };
    expect(policy.allowedResources(alice)).toEqual([web, dns, ping]);
    expect(policy.allowedResources(bob)).toEqual([dns, ping]);
    expect(policy.allowedResources(carol)).toEqual([]);
  });
});

describe('policy evaluation', () => {
  const resources = [
    { name: 'net', address: '10.1.0.0/16' },
    { name: 'db', address: '10.1.2.0/24', ports: [5432, '6000-6010'] },
    { name: 'db-ping', address: '10.1.2.0/24', ports: [5432], protocols: ['tcp', 'icmp'] },
    { name: 'syslog', address: '10.1.3.1', ports: [514], protocols: ['udp'] },
  ];

  it('users: ["*"] applies to everyone, groups or not', () => {
    const p = policyFrom(resources, [{ users: ['*'], allow: ['syslog'] }]);
    for (const s of [alice, carol, { user: 'zed', groups: [] }]) {
      expect(p.decide(s, udp('10.1.3.1', 514))).toEqual({
        verdict: 'allow',
        policy: 0,
        resource: 'syslog',
      });
      expect(p.decide(s, tcp('10.1.3.1', 514)).verdict).toBe('deny');
    }
  });

  it('is decided by order: a later deny does not undo an earlier allow, and vice versa', () => {
    const allowFirst = policyFrom(resources, [
      { groups: ['staff'], allow: ['db'] },
      { users: ['*'], deny: ['net'] },
    ]);
    expect(allowFirst.decide(alice, tcp('10.1.2.5', 5432)).verdict).toBe('allow');
    expect(allowFirst.decide(alice, tcp('10.1.2.5', 22))).toEqual({
      verdict: 'deny',
      policy: 1,
      resource: 'net',
    });
    const denyFirst = policyFrom(resources, [
      { users: ['*'], deny: ['net'] },
      { groups: ['staff'], allow: ['db'] },
    ]);
    expect(denyFirst.decide(alice, tcp('10.1.2.5', 5432))).toEqual({
      verdict: 'deny',
      policy: 0,
      resource: 'net',
    });
  });

  it('skips a policy whose resources do not contain the flow, even if it names the user', () => {
    const p = policyFrom(resources, [
      { users: ['alice'], deny: ['syslog'] },
      { users: ['alice'], allow: ['db'] },
    ]);
    expect(p.decide(alice, tcp('10.1.2.5', 6005))).toEqual({
      verdict: 'allow',
      policy: 1,
      resource: 'db',
    });
    expect(p.decide(alice, tcp('10.1.2.5', 6011)).verdict).toBe('deny');
    expect(p.decide(bob, tcp('10.1.2.5', 5432)).verdict).toBe('deny');
  });

  it('covers every port and protocol for a resource with neither listed, ICMP included', () => {
    const p = policyFrom(resources, [{ users: ['alice'], allow: ['net'] }]);
    expect(p.decide(alice, tcp('10.1.200.1', 1)).verdict).toBe('allow');
    expect(p.decide(alice, udp('10.1.200.1', 65535)).verdict).toBe('allow');
    expect(p.decide(alice, icmp('10.1.0.0')).verdict).toBe('allow');
    expect(p.decide(alice, icmp('10.2.0.0')).verdict).toBe('deny');
  });

  it('gives ICMP to a port-limited resource only when it names icmp', () => {
    const p = policyFrom(resources, [{ users: ['alice'], allow: ['db', 'db-ping'] }]);
    // db: ports, no protocols → tcp and udp on those ports, never ICMP via db.
    expect(p.decide(alice, udp('10.1.2.9', 6000))).toEqual({
      verdict: 'allow',
      policy: 0,
      resource: 'db',
    });
    expect(p.decide(alice, icmp('10.1.2.9'))).toEqual({
      verdict: 'allow',
      policy: 0,
      resource: 'db-ping',
    });
    const withoutPing = policyFrom(resources, [{ users: ['alice'], allow: ['db'] }]);
    expect(withoutPing.decide(alice, icmp('10.1.2.9'))).toEqual({
      verdict: 'deny',
      policy: null,
      resource: null,
    });
  });

  it('denies a port-less request (e.g. a missing port) against a port-limited resource', () => {
    const p = policyFrom(resources, [{ users: ['alice'], allow: ['db'] }]);
    expect(p.decide(alice, { protocol: 'tcp', address: parseIPv4('10.1.2.9') }).verdict).toBe(
      'deny',
    );
  });

  it('denies everything with no policies at all', () => {
    const p = policyFrom(resources, []);
    expect(p.decide(alice, tcp('10.1.2.5', 5432))).toEqual({
      verdict: 'deny',
      policy: null,
      resource: null,
    });
    expect(p.allowedResources(alice)).toEqual([]);
  });

  it('lists a resource by its first mention for the user, and every protocol when none is listed', () => {
    const p = policyFrom(resources, [
      { groups: ['staff'], deny: ['db'] },
      { users: ['*'], allow: ['db', 'net', 'syslog'] },
    ]);
    expect(p.allowedResources(alice).map((r) => r.name)).toEqual(['net', 'syslog']);
    expect(p.allowedResources(carol).map((r) => r.name)).toEqual(['db', 'net', 'syslog']);
    expect(p.allowedResources(carol)[1]).toEqual({
      name: 'net',
      address: '10.1.0.0/16',
      ports: [],
      protocols: ['tcp', 'udp', 'icmp'],
    });
  });

  it('refuses, when used directly, a policy naming an unknown resource', () => {
    expect(() => new Policy([], [{ users: ['*'], allow: ['nope'] }])).toThrow(
      'policy names unknown resource "nope"',
    );
  });
});

describe('reserved destinations (issue #8: a full tunnel reached the gateway itself)', () => {
  // The lab gateway's interfaces: loopback, the public link, the private link with two
  // addresses.
  const reserved = new ReservedDestinations(
    ownAddressBlocks([
      { family: 'IPv4', address: '127.0.0.1', netmask: '255.0.0.0' },
      { family: 'IPv4', address: '198.19.0.1', netmask: '255.255.255.0' },
      { family: 'IPv4', address: '198.18.0.1', netmask: '255.255.255.0' },
      { family: 'IPv4', address: '198.18.1.1', netmask: '255.255.255.0' },
      { family: 'IPv4', address: '203.0.113.9', netmask: '255.255.255.254' },
      { family: 'IPv6', address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' },
    ]),
  );
  const policy = policyFrom(
    [
      { name: 'everything', address: '0.0.0.0/0' },
      { name: 'lab', address: '198.18.0.0/23' },
      { name: 'metrics', address: '127.0.0.1/32', ports: [9100], protocols: ['tcp'] },
      { name: 'metadata', address: '169.254.169.254/32', ports: [80] },
      { name: 'gateway-ssh', address: '198.18.0.1/32', ports: [22] },
      { name: 'loopback-wide', address: '126.0.0.0/7' },
    ],
    [
      { users: ['alice'], allow: ['metrics', 'metadata', 'gateway-ssh'] },
      { users: ['bob'], deny: ['everything'] },
      { users: ['carol'], allow: ['loopback-wide'] },
      { users: ['*'], allow: ['everything', 'lab'] },
    ],
    reserved,
  );

  it('keeps every reserved range out of a broad allow, for TCP, UDP and ICMP', () => {
    const refused: [FlowRequest, string][] = [
      [tcp('127.0.0.1', 9100), 'loopback'],
      [tcp('127.8.9.10', 443), 'loopback'],
      [tcp('0.0.0.0', 443), 'this-network'],
      [udp('0.1.2.3', 53), 'this-network'],
      [tcp('169.254.169.254', 80), 'link-local'],
      [udp('224.0.0.251', 5353), 'multicast'],
      [udp('239.255.255.250', 1900), 'multicast'],
      [udp('255.255.255.255', 67), 'reserved'],
      [tcp('240.0.0.1', 80), 'reserved'],
      [tcp('198.19.0.1', 443), 'gateway-address'],
      [tcp('198.18.0.1', 443), 'gateway-address'],
      [icmp('198.18.1.1'), 'gateway-address'],
      [udp('198.18.0.255', 7), 'broadcast'],
      [udp('198.19.0.255', 7), 'broadcast'],
      [icmp('203.0.113.9'), 'gateway-address'],
      [icmp('127.0.0.1'), 'loopback'],
    ];
    for (const [flow, kind] of refused) {
      expect(policy.decide(dave, flow), JSON.stringify(flow)).toEqual({
        verdict: 'deny',
        policy: null,
        resource: null,
        reserved: kind,
      });
    }
    // The rest of the world stays allowed, the gateway's neighbours included.
    for (const flow of [
      tcp('198.18.0.10', 80),
      tcp('198.18.0.2', 443),
      udp('198.18.1.10', 7),
      icmp('8.8.8.8'),
      tcp('203.0.113.8', 22),
    ]) {
      expect(policy.decide(dave, flow).verdict, JSON.stringify(flow)).toBe('allow');
    }
  });

  it('allows a reserved destination through a resource that names its range', () => {
    expect(policy.decide(alice, tcp('127.0.0.1', 9100))).toEqual({
      verdict: 'allow',
      policy: 0,
      resource: 'metrics',
    });
    expect(policy.decide(alice, tcp('169.254.169.254', 80)).resource).toBe('metadata');
    expect(policy.decide(alice, tcp('198.18.0.1', 22)).resource).toBe('gateway-ssh');
    // Only what the resource names: another port of the gateway is still reserved.
    expect(policy.decide(alice, tcp('198.18.0.1', 443)).reserved).toBe('gateway-address');
    expect(policy.decide(alice, tcp('127.0.0.1', 9101)).reserved).toBe('loopback');
    // A block wider than the reserved one (126.0.0.0/7 holds 127/8 and 126/8) does not name it.
    expect(policy.decide(carol, tcp('127.0.0.1', 9100))).toMatchObject({
      verdict: 'deny',
      reserved: 'loopback',
    });
  });

  it('lets a deny cover a reserved destination like any other', () => {
    expect(policy.decide(bob, tcp('127.0.0.1', 9100))).toEqual({
      verdict: 'deny',
      policy: 1,
      resource: 'everything',
    });
  });

  it("learns the gateway's addresses again when they change", () => {
    const mine = new ReservedDestinations();
    const p = policyFrom(
      [{ name: 'everything', address: '0.0.0.0/0' }],
      [{ users: ['*'], allow: ['everything'] }],
      mine,
    );
    expect(p.decide(alice, tcp('192.0.2.1', 443)).verdict).toBe('allow');
    mine.setOwn(
      ownAddressBlocks([{ family: 'IPv4', address: '192.0.2.1', netmask: '255.255.255.0' }]),
    );
    expect(p.decide(alice, tcp('192.0.2.1', 443)).reserved).toBe('gateway-address');
  });
});

describe('whether a user may reach anything in a range (connect-ip)', () => {
  const config: GatewayConfigFile = exampleConfig();
  const policy = new Policy(config.resources, config.policies);
  const everywhere = parseCidr('0.0.0.0/0');

  it('is true when an allow for the protocol overlaps the range', () => {
    expect(policy.mayReach(alice, 'icmp', everywhere)).toBe(true);
    expect(policy.mayReach(alice, 'icmp', parseCidr('198.18.0.0/24'))).toBe(true);
    expect(policy.mayReach(alice, 'icmp', parseCidr('198.18.0.10/32'))).toBe(true);
    expect(policy.mayReach(bob, 'icmp', everywhere)).toBe(true);
  });

  it('is false for a user with no ICMP rights, or none in the range', () => {
    expect(policy.mayReach(carol, 'icmp', everywhere)).toBe(false);
    expect(policy.mayReach(alice, 'icmp', parseCidr('198.18.1.0/24'))).toBe(false);
    // web lists ports: it covers no ICMP.
    const webOnly = policyFrom(
      [{ name: 'web', address: '198.18.0.10/32', ports: [80] }],
      [{ users: ['*'], allow: ['web'] }],
    );
    expect(webOnly.mayReach(alice, 'icmp', everywhere)).toBe(false);
    expect(webOnly.mayReach(alice, 'tcp', everywhere)).toBe(true);
  });
});
