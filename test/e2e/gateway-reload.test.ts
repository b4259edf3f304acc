// SIGHUP reload of the gateway in the netns lab: a changed policy applies to new flows while
// the sessions alive keep their token; a broken file is refused and the old one keeps serving.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, exampleConfig, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { runProbe } from '../lab/probe.js';
import { LAB, waitFor } from '../lab/lab.js';

describe('gateway reload on SIGHUP', () => {
  let g: GatewayLab;

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'gr' });
  }, 60_000);
  afterAll(async () => {
    await g?.down();
  });

  const probe = (scenario: string, args: object) => runProbe(g, scenario, args);

  async function connectStatus(token: string, target: string): Promise<number> {
    const r = await probe('tcpTargets', { token, targets: [target] });
    return (r.results as { status: number }[])[0]?.status as number;
  }

  async function login(user: keyof typeof USERS): Promise<{ token: string; resources: string[] }> {
    const r = await probe('login', { body: { username: user, password: USERS[user].password } });
    expect(r.status).toBe(201);
    const body = r.body as { token: string; config: { resources: { name: string }[] } };
    return { token: body.token, resources: body.config.resources.map((x) => x.name) };
  }

  async function reload(): Promise<string> {
    const before = g.gatewayOutput().length;
    g.gateway.kill('SIGHUP');
    await waitFor('the gateway to report the reload', () =>
      /reloaded|refused/.test(g.gatewayOutput().slice(before)),
    );
    // Give a refusal's problem lines a moment to follow the first line.
    await new Promise((r) => setTimeout(r, 200));
    return g.gatewayOutput().slice(before);
  }

  it('applies a changed policy to new flows and keeps the sessions alive', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    expect(await connectStatus(alice.token, `${LAB.web}:80`)).toBe(200);
    expect(await connectStatus(bob.token, `${LAB.web}:80`)).toBe(403);
    expect(bob.resources).not.toContain('web');

    // Swap the policies: bob may reach web, alice (and the rest of staff) may not any more.
    writeFileSync(
      g.configPath,
      exampleConfig().replace(
        /policies:\n[\s\S]*?\naudit:/,
        'policies:\n  - { users: [bob], allow: [web] }\n  - { groups: [staff], allow: [dns, ping, echo] }\naudit:',
      ),
    );
    expect(await reload()).toMatch(/configuration reloaded/);
    expect(g.gateway.exitCode).toBeNull();

    // The tokens issued before the reload still work; the new policy decides their new flows.
    expect(await connectStatus(alice.token, `${LAB.web}:80`)).toBe(403);
    expect(await connectStatus(bob.token, `${LAB.web}:80`)).toBe(200);
    const config = await probe('api', { path: '/api/v1/config', token: bob.token });
    expect(config.status).toBe(200);
    expect(
      (JSON.parse(config.body as string) as { resources: { name: string }[] }).resources.map(
        (x) => x.name,
      ),
    ).toContain('web');
    // New logins see the new policy too.
    expect((await login('bob')).resources).toContain('web');
    expect((await login('alice')).resources).not.toContain('web');
  });

  it('refuses a broken file, says so, and keeps serving with the old configuration', async () => {
    const bob = await login('bob');
    expect(await connectStatus(bob.token, `${LAB.web}:80`)).toBe(200);

    writeFileSync(
      g.configPath,
      exampleConfig().replace('allow: [web, dns, ping, echo]', 'allow: [wbe, dns, ping, echo]'),
    );
    const output = await reload();
    expect(output).toMatch(/reload refused, the running configuration stays/);
    expect(output).toContain('policies[1].allow[0]: unknown resource "wbe"');
    expect(g.gateway.exitCode).toBeNull();

    // Not YAML at all: refused as well.
    writeFileSync(g.configPath, 'listen: [\n');
    expect(await reload()).toMatch(/reload refused[\s\S]*line \d+, column \d+/);

    // The running configuration (bob allowed web) still decides, for old and new sessions.
    expect(await connectStatus(bob.token, `${LAB.web}:80`)).toBe(200);
    const again = await login('bob');
    expect(again.resources).toContain('web');
    expect(await connectStatus(again.token, `${LAB.web}:80`)).toBe(200);
    expect(await connectStatus(again.token, `${LAB.denied}:80`)).toBe(403);
  });
});
