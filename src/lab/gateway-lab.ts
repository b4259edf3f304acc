// A complete lab for gateway and engine tests: the namespaces, a CA and certificate, users,
// the example configuration, intranet services (HTTP, UDP echo, dnsmasq) and the
// gateway itself, started from the built CLI in the gateway namespace.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashPassword } from '../gateway/auth/password.js';
import { createLab, LAB, waitFor, type Lab } from './netns.js';
import { makePki, type LabPki } from './pki.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const GATEWAY_CLI = join(ROOT, 'dist/cli/gateway.js');

export const USERS = {
  alice: { password: 'alice-correct-horse', groups: ['staff'] },
  bob: { password: 'bob-battery-staple', groups: ['staff'] },
  carol: { password: 'carol-no-groups', groups: [] as string[] },
  // A user with a one-time code (TOTP, base32, 160 bits).
  dave: {
    password: 'dave-needs-a-code',
    groups: ['staff'],
    totp: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  },
} as const;

export interface GatewayLab {
  lab: Lab;
  dir: string;
  pki: LabPki;
  configPath: string;
  auditPath: string;
  gateway: ChildProcess;
  gatewayOutput: () => string;
  /** https://198.19.0.1:443 */
  url: string;
  metricsUrl: string;
  /** The audit log so far, one object a line. */
  auditEvents(): Record<string, unknown>[];
  /**
   * Scrapes the metrics once; the function reads one sample by its name and labels as
   * printed, e.g. `passerelle_flows_active{protocol="tcp"}` (NaN when absent).
   */
  metrics(): Promise<(sample: string) => number>;
  restartGateway(): Promise<void>;
  /**
   * The gateway's processes: the control plane (the CLI) and its native data plane, a child
   * of it. Freezing "the gateway" means stopping both.
   */
  gatewayPids(): number[];
  down(): Promise<void>;
}

export function exampleConfig(extra = ''): string {
  // The configuration from the gateway issue, as it is, plus test-only extensions.
  return `listen: "${LAB.gatewayPublic}:443"
tls: { cert: gw.crt, key: gw.key }
auth:
  users: users.yaml
addressPool: 100.64.0.0/24
dns: { servers: [${LAB.dns}], domains: [corp.test] }
routes: [198.18.0.0/23]
resources:
  - { name: web, address: 198.18.0.10/32, ports: [80, "8000-8099"], protocols: [tcp] }
  - { name: dns, address: 198.18.0.53/32, ports: [53], protocols: [udp, tcp] }
  - { name: ping, address: 198.18.0.10/32, protocols: [icmp] }
  - { name: echo, address: 198.18.0.10/32, ports: [7], protocols: [udp] }
  - { name: secret, address: 198.18.1.0/24 }
policies:
  - { users: [bob], deny: [web] }
  - { groups: [staff], allow: [web, dns, ping, echo] }
audit: audit.jsonl
metrics: "127.0.0.1:9100"
${extra}`;
}

export async function writeUsers(dir: string): Promise<void> {
  const lines: string[] = [];
  for (const [name, user] of Object.entries(USERS)) {
    lines.push(
      `- name: ${name}`,
      `  password: "${await hashPassword(user.password)}"`,
      `  groups: [${user.groups.join(', ')}]`,
    );
    if ('totp' in user) lines.push(`  totp: ${user.totp}`);
  }
  writeFileSync(join(dir, 'users.yaml'), `${lines.join('\n')}\n`);
}

export async function createGatewayLab(options: {
  tag: string;
  extraConfig?: string;
  /** A whole configuration instead of the example (benchmarks need other resources). */
  config?: string;
  /** More client addresses (see LabOptions.clientAddresses). */
  clientAddresses?: string[];
}): Promise<GatewayLab> {
  const lab = await createLab({ tag: options.tag, clientAddresses: options.clientAddresses });
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-lab-'));
  let gateway: ChildProcess | undefined;
  let output = '';
  try {
    const pki = makePki(dir, LAB.gatewayPublic);
    await writeUsers(dir);
    const configPath = join(dir, 'gateway.yaml');
    writeFileSync(configPath, options.config ?? exampleConfig(options.extraConfig));

    const server = join(ROOT, 'dist/lab/intranet-server.js');
    const services = [
      lab.spawn(lab.intranet, ['node', server, LAB.web, '80,8080,9000', '7']),
      lab.spawn(lab.intranet, ['node', server, LAB.denied, '80']),
    ];
    lab.spawn(lab.intranet, [
      'dnsmasq',
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${LAB.dns}`,
      '--except-interface=lo',
      `--address=/app.corp.test/${LAB.web}`,
      `--address=/secret.corp.test/${LAB.denied}`,
      '--pid-file=',
      '--user=root',
      '--log-facility=-',
    ]);
    for (const service of services) {
      await new Promise<void>((ok, fail) => {
        service.stdout?.once('data', () => ok());
        service.once('exit', (code) => fail(new Error(`intranet service exited with ${code}`)));
      });
    }
    await waitFor('dnsmasq', async () => {
      const r = await lab.exec(lab.intranet, [
        'dig',
        '+short',
        '+time=1',
        '+tries=1',
        `@${LAB.dns}`,
        'app.corp.test',
      ]);
      return r.stdout.trim() === LAB.web;
    });

    const start = async () => {
      output = '';
      const child = lab.spawn(lab.gateway, ['node', GATEWAY_CLI, 'serve', '--config', configPath]);
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      await waitFor(
        'the gateway to listen',
        () => output.includes('listening on') || child.exitCode !== null,
        15_000,
      );
      if (child.exitCode !== null) throw new Error(`gateway exited: ${output}`);
      gateway = child;
      return child;
    };
    gateway = await start();
    const result: GatewayLab = {
      lab,
      dir,
      pki,
      configPath,
      auditPath: join(dir, 'audit.jsonl'),
      gateway,
      gatewayOutput: () => output,
      url: `https://${LAB.gatewayPublic}:443`,
      metricsUrl: 'http://127.0.0.1:9100/metrics',
      auditEvents: () =>
        readFileSync(result.auditPath, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      async metrics() {
        const { stdout } = await lab.exec(lab.gateway, ['curl', '-sS', result.metricsUrl]);
        return (sample) =>
          Number(new RegExp(`^${sample.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(stdout)?.[1]);
      },
      gatewayPids() {
        const pid = result.gateway.pid as number;
        let children: number[] = [];
        try {
          children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
            .trim()
            .split(/\s+/)
            .filter((text) => text !== '')
            .map(Number);
        } catch {
          // the gateway is gone
        }
        return [pid, ...children];
      },
      async restartGateway() {
        result.gateway.kill('SIGTERM');
        await new Promise((r) => result.gateway.once('exit', r));
        result.gateway = await start();
      },
      async down() {
        await lab.down();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return result;
  } catch (err) {
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
