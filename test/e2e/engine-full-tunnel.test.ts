// Split tunnel off: all IPv4 traffic enters the tunnel, except the connection to the gateway
// itself, which keeps a host route outside it (or the tunnel would carry itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { LAB, waitFor } from '../lab/lab.js';

describe('engine with split tunnel off', () => {
  let g: GatewayLab;
  let client: RunningClient;
  let routesBefore: string;
  let routes6Before: string;
  const sh = (argv: string[]) => g.lab.exec(g.lab.client, argv, { timeoutMs: 30_000 });
  const routeDev = async (address: string) =>
    (JSON.parse((await sh(['ip', '-j', 'route', 'get', address])).stdout) as { dev: string }[])[0]
      ?.dev;

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'ft', extraConfig: 'splitTunnel: false\n' });
    routesBefore = (await sh(['ip', '-4', '-j', 'route', 'show', 'table', 'all'])).stdout;
    routes6Before = (await sh(['ip', '-6', '-j', 'route', 'show', 'type', 'unreachable'])).stdout;
    client = startClient(g);
    await client.waitForState('connected');
  }, 60_000);
  afterAll(async () => {
    client?.child.kill('SIGKILL');
    await g?.down();
  });

  it('sends everything into the tunnel but the gateway itself', async () => {
    expect(await routeDev(LAB.web)).toBe('passerelle0');
    expect(await routeDev('203.0.113.7')).toBe('passerelle0'); // any address at all
    expect(await routeDev(LAB.gatewayPublic)).not.toBe('passerelle0');
    // IPv6 cannot go around the IPv4 tunnel: it is unreachable, at once.
    const blocks = await sh(['ip', '-6', 'route', 'show', 'type', 'unreachable']);
    expect(blocks.stdout).toMatch(/^unreachable ::\/1 /m);
    expect(blocks.stdout).toMatch(/^unreachable 8000::\/1 /m);
    const v6 = await sh(['ip', '-6', 'route', 'get', '2001:db8::1']);
    expect(v6.stderr).toMatch(/No route to host/);
  });

  it('keeps working: intranet reachable, session alive across keepalives', async () => {
    const r = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
    expect(r.stdout).toBe(`${LAB.gatewayPrivate}\n`);
    // Several keepalive rounds (2 s each) over the host route, and still connected.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(client.states().at(-1)?.kind).toBe('connected');
    const denied = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.denied}/`]);
    expect(denied.code).toBe(7);
  }, 30_000);

  it('comes back after the network went away: the route to the gateway is put back', async () => {
    // A laptop's Wi-Fi going down takes every route through it with it, the gateway's host
    // route too; when the link returns, only the kernel's own routes come back. Without the
    // host route, the gateway's address would be routed into the tunnel itself.
    const dev = (await routeDev(LAB.gatewayPublic)) as string;
    const kinds = () => client.states().map((s) => s.kind);
    const before = kinds().length;
    await sh(['ip', 'link', 'set', 'dev', dev, 'down']);
    try {
      await waitFor('reconnecting', () => kinds().slice(before).includes('reconnecting'), 15_000);
      // Down for a few reconnect attempts.
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      await sh(['ip', 'link', 'set', 'dev', dev, 'up']);
    }
    await waitFor('connected again', () => kinds().at(-1) === 'connected', 30_000);
    expect(await routeDev(LAB.gatewayPublic)).toBe(dev);
    const r = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
    expect(r.stdout).toBe(`${LAB.gatewayPrivate}\n`);
  }, 60_000);

  it('restores the routes on disconnect', async () => {
    client.child.kill('SIGTERM');
    expect(await client.exited).toBe(0);
    expect((await sh(['ip', '-4', '-j', 'route', 'show', 'table', 'all'])).stdout).toBe(
      routesBefore,
    );
    const blocks = await sh(['ip', '-6', '-j', 'route', 'show', 'type', 'unreachable']);
    expect(blocks.stdout).toBe(routes6Before);
  });
});
