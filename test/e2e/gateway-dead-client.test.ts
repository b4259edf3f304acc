// A client that vanishes without closing (a laptop suspended, a frozen process, a cable
// pulled behind NAT) must not keep its tunnels, and the connections they hold to intranet
// targets, open on the gateway until TCP gives up many minutes later. The gateway PINGs each
// HTTP/2 connection every `timeouts.keepaliveSeconds` and closes one that stops answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { LAB, waitFor } from '../lab/lab.js';

describe('gateway and a client that stopped answering', () => {
  let g: GatewayLab;
  let client: RunningClient;

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'dk', extraConfig: 'timeouts: { keepaliveSeconds: 1 }\n' });
    client = startClient(g);
    await client.waitForState('connected');
  }, 60_000);
  afterAll(async () => {
    if (client?.child.pid) process.kill(client.child.pid, 'SIGCONT');
    client?.child.kill('SIGKILL');
    await g?.down();
  });

  const tcpFlowsOpen = async () =>
    (await g.metrics())('passerelle_flows_active{protocol="tcp"}') || 0;

  it('closes the connection of a client that stopped answering PINGs, and its tunnels', async () => {
    // A slow download keeps one flow (and its connection to the intranet server) open.
    g.lab.spawn(g.lab.client, [
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '--limit-rate',
      '20k',
      `http://${LAB.web}/bytes?n=100000000`,
    ]);
    await waitFor('the download to be open', async () => (await tcpFlowsOpen()) === 1, 10_000);
    const frozenAt = Date.now();
    process.kill(client.child.pid as number, 'SIGSTOP');
    await waitFor('the gateway to close it', async () => (await tcpFlowsOpen()) === 0, 15_000);
    // PINGs every second, an answer expected within two more.
    expect(Date.now() - frozenAt).toBeLessThan(8_000);
  }, 40_000);
});
