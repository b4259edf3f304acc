import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createLab, LAB, type Lab } from '../lab/lab.js';

describe('netns lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({ tag: 'l' });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('lets the gateway reach the intranet but not the client', async () => {
    const fromGateway = await lab.exec(lab.gateway, ['ping', '-c1', '-W1', LAB.web]);
    expect(fromGateway.code).toBe(0);
    const fromClient = await lab.exec(lab.client, ['ping', '-c1', '-W1', LAB.web]);
    expect(fromClient.code).not.toBe(0);
    const publicLink = await lab.exec(lab.client, ['ping', '-c1', '-W1', LAB.gatewayPublic]);
    expect(publicLink.code).toBe(0);
  });

  it('gives the client its own resolv.conf', async () => {
    const r = await lab.exec(lab.client, ['cat', '/etc/resolv.conf']);
    expect(r.stdout).toBe('nameserver 127.0.0.53\n');
  });

  it('removes its namespaces', async () => {
    await lab.down();
    const list = execFileSync('ip', ['netns', 'list']).toString();
    expect(list).not.toContain(lab.client);
  });
});
