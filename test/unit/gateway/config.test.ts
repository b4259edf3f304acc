import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/gateway/config/errors.js';
import { loadConfig } from '../../../src/gateway/config/load.js';
import { formatPath, validateConfig } from '../../../src/gateway/config/schema.js';
import { EXAMPLE_YAML, exampleDocument } from './example-config.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The problems of the example document after `edit`; fails if it was accepted. */
function problems(edit: (doc: Doc) => void): string[] {
  const doc = exampleDocument() as Doc;
  edit(doc);
  const result = validateConfig(doc);
  if (result.ok) throw new Error('accepted');
  return result.problems;
}

describe('configuration schema', () => {
  it('accepts the example of the issue as it is, with the documented defaults', () => {
    const result = validateConfig(exampleDocument());
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const c = result.config;
    expect(c.listen).toEqual({ host: '198.19.0.1', port: 443 });
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(c.tls).toEqual({ cert: 'gw.crt', key: 'gw.key', minVersion: 'TLSv1.2' });
    expect(c.resources.map((r) => r.name)).toEqual(['web', 'dns', 'ping', 'secret']);
    expect(c.resources[0]?.ports).toEqual([
      { from: 80, to: 80 },
      { from: 8000, to: 8099 },
    ]);
    expect(c.policies).toHaveLength(2);
    expect(c.sessions).toEqual({ lifetimeSeconds: 43_200, perUser: 5 });
    expect(c.limits.streamsPerSession).toBeGreaterThanOrEqual(1000);
    expect(c.flowControl.streamWindowBytes).toBeGreaterThan(65_535);
  });

  it('fills in the limits on logins, users and flows, in part or all', () => {
    const none = validateConfig(exampleDocument());
    if (!none.ok) throw new Error(none.problems.join('\n'));
    expect(none.config.limits).toMatchObject({
      failuresBeforeLockout: 5,
      userFailuresPerHour: 50,
      loginRefusalSummarySeconds: 60,
      flowsPerUser: 2_000,
    });
    // Absent: sized from the descriptor limit when the gateway starts.
    expect(none.config.limits.flowsTotal).toBeUndefined();
    const some = validateConfig({ ...exampleDocument(), limits: { flowsTotal: 500 } });
    if (!some.ok) throw new Error(some.problems.join('\n'));
    expect(some.config.limits).toMatchObject({ flowsTotal: 500, flowsPerUser: 2_000 });
    expect(
      problems((d) => (d.limits = { flowsPerUser: 0, userFailuresPerHour: 1.5, flowsTotal: -1 })),
    ).toEqual([
      'limits.userFailuresPerHour: Invalid input: expected int, received number',
      'limits.flowsPerUser: Too small: expected number to be >=1',
      'limits.flowsTotal: Too small: expected number to be >=1',
    ]);
    // Past 2^31 - 1 the data plane's 32-bit cap would turn negative, which it reads as no cap.
    expect(problems((d) => (d.limits = { flowsTotal: 5_000_000_000 }))).toEqual([
      'limits.flowsTotal: Too big: expected number to be <=2147483647',
    ]);
  });

  it('reports an unknown resource in a policy with its path', () => {
    expect(problems((d) => (d.policies[1].allow[0] = 'wbe'))).toEqual([
      'policies[1].allow[0]: unknown resource "wbe"',
    ]);
    expect(problems((d) => (d.policies[0].deny = ['web', 'secrte']))).toEqual([
      'policies[0].deny[1]: unknown resource "secrte"',
    ]);
  });

  it('lists every problem of a file in one pass, cross-references included', () => {
    const list = problems((d) => {
      d.policies[1].allow[0] = 'wbe';
      d.resources[0].address = '198.18.0.10/24';
      d.resources[1].ports = [53, '9000-8000'];
      d.bogus = true;
    });
    expect(list).toEqual(
      expect.arrayContaining([
        'policies[1].allow[0]: unknown resource "wbe"',
        'resources[0].address: "198.18.0.10/24" has host bits set (did you mean 198.18.0.0/24?)',
        'resources[1].ports[1]: "9000-8000" is not a port (1-65535) or a range "from-to"',
        '(top level): unknown key "bogus"',
      ]),
    );
    expect(list).toHaveLength(4);
  });

  it('refuses bad CIDRs and addresses', () => {
    expect(problems((d) => (d.addressPool = '100.64.0.0/33'))).toEqual([
      'addressPool: "100.64.0.0/33" has an invalid prefix length (0 to 32)',
    ]);
    expect(problems((d) => (d.routes = ['198.18.0.0/23', '198.18.0.1/16']))).toEqual([
      'routes[1]: "198.18.0.1/16" has host bits set (did you mean 198.18.0.0/16?)',
    ]);
    expect(problems((d) => (d.resources[3].address = '198.18.1/24'))).toEqual([
      'resources[3].address: "198.18.1" is not an IPv4 address',
    ]);
    expect(problems((d) => (d.dns.servers = ['198.18.0.256']))).toEqual([
      'dns.servers[0]: "198.18.0.256" is not an IPv4 address',
    ]);
  });

  it('refuses bad ports and ranges', () => {
    const msg = (text: string) =>
      `is not a port (1-65535) or a range "from-to"`.replace(/^/, `"${text}" `);
    expect(
      problems((d) => (d.resources[0].ports = [0, 65536, '100-99', '1-2-3', 'http', '80-'])),
    ).toEqual([
      `resources[0].ports[0]: ${msg('0')}`,
      `resources[0].ports[1]: ${msg('65536')}`,
      `resources[0].ports[2]: ${msg('100-99')}`,
      `resources[0].ports[3]: ${msg('1-2-3')}`,
      `resources[0].ports[4]: ${msg('http')}`,
      `resources[0].ports[5]: ${msg('80-')}`,
    ]);
    expect(problems((d) => (d.resources[2].ports = [7]))).toEqual([
      'resources[2].ports: ports do not apply to icmp',
    ]);
    expect(problems((d) => (d.resources[0].protocols = ['sctp']))[0]).toMatch(
      /^resources\[0\]\.protocols\[0\]: .*"tcp"\|"udp"\|"icmp"/,
    );
    expect(problems((d) => (d.listen = '198.19.0.1:70000'))).toEqual([
      'listen: "198.19.0.1:70000" is not "host:port" (e.g. "0.0.0.0:443")',
    ]);
  });

  it('names unknown keys where they are', () => {
    expect(
      problems((d) => {
        d.tls.ciphers = 'x';
        d.resources[1].portz = [53];
        d.policies[0].resources = ['web'];
        d.colour = 'blue';
        d.flavour = 'mint';
      }),
    ).toEqual([
      'tls: unknown key "ciphers"',
      'resources[1]: unknown key "portz"',
      'policies[0]: unknown key "resources"',
      '(top level): unknown keys "colour", "flavour"',
    ]);
  });

  it('says which fields are missing, and tells a wrong type from a missing value', () => {
    expect(validateConfig({})).toEqual({
      ok: false,
      problems: ['listen: is required', 'tls: is required', 'auth: is required'],
    });
    expect(
      problems((d) => {
        delete d.tls.key;
        delete d.resources[0].address;
      }),
    ).toEqual(['tls.key: is required', 'resources[0].address: is required']);
    const wrongType = problems((d) => (d.listen = 443));
    expect(wrongType).toHaveLength(1);
    expect(wrongType[0]).toMatch(/^listen: /);
    expect(wrongType[0]).not.toMatch(/required/);
  });

  it('checks the shape of policies and resources', () => {
    expect(problems((d) => d.policies.push({ allow: ['web'] }))).toEqual([
      'policies[2]: a policy names users or groups (use users: ["*"] for everyone)',
    ]);
    expect(
      problems((d) => d.policies.push({ users: ['x'], allow: ['web'], deny: ['dns'] })),
    ).toEqual(['policies[2]: a policy has exactly one of allow or deny']);
    expect(problems((d) => d.policies.push({ users: ['x'] }))).toEqual([
      'policies[2]: a policy has exactly one of allow or deny',
    ]);
    expect(problems((d) => d.resources.push({ name: 'web', address: '10.0.0.0/8' }))).toEqual([
      'resources[4].name: duplicate resource name "web" (first at resources[0])',
    ]);
    expect(problems((d) => (d.resources[0].name = 'the web'))).toEqual(
      expect.arrayContaining([
        'resources[0].name: a name is 1 to 64 letters, digits, "_", "." or "-"',
      ]),
    );
  });

  it('needs networks to secure in split-tunnel mode', () => {
    expect(problems((d) => (d.routes = []))).toEqual([
      'routes: no networks to secure: list routes, or set splitTunnel: false for all traffic',
    ]);
    const full = exampleDocument() as Doc;
    full.routes = [];
    full.splitTunnel = false;
    expect(validateConfig(full).ok).toBe(true);
  });

  it('formats paths', () => {
    expect(formatPath(['policies', 2, 'allow', 0])).toBe('policies[2].allow[0]');
    expect(formatPath(['limits', 'streamsPerSession'])).toBe('limits.streamsPerSession');
    expect(formatPath([])).toBe('(top level)');
  });
});

describe('loading a configuration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function loadError(text: string): Promise<ConfigError> {
    const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    const err = await loadConfig(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }

  it('reports a YAML syntax error and a duplicate key with their line', async () => {
    expect((await loadError('listen: [\n')).problems[0]).toMatch(/^line \d+, column \d+: /);
    const dup = await loadError(`${EXAMPLE_YAML}listen: "0.0.0.0:443"\n`);
    expect(dup.problems).toHaveLength(1);
    expect(dup.problems[0]).toMatch(/^line 18, column 1: .*unique/i);
  });

  it('reports the files the example names when they are missing, all of them', async () => {
    const err = await loadError(EXAMPLE_YAML);
    expect(err.problems.map((p) => p.split(':')[0])).toEqual(['tls.cert', 'tls.key', 'auth.users']);
    expect(err.message).toContain(`${dir}/`);
  });

  it('refuses a schema problem before looking at any file', async () => {
    const err = await loadError(
      EXAMPLE_YAML.replace('allow: [web, dns, ping]', 'allow: [wbe, dns, ping]'),
    );
    expect(err.problems).toEqual(['policies[1].allow[0]: unknown resource "wbe"']);
  });
});
