// resolv.conf mode (no systemd-resolved): after a network change, NetworkManager or a DHCP
// client writes its own resolv.conf over ours and intranet names stop resolving. The engine
// notices within seconds, puts its servers back on top of the new file, and on disconnect
// restores the new file, not the one from before the change.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { LAB, waitFor } from '../lab/lab.js';

describe('engine keeps the intranet DNS when another program rewrites resolv.conf', () => {
  let g: GatewayLab;
  let client: RunningClient;
  // The client namespace's /etc/resolv.conf is a bind mount of this file.
  const resolvConf = () => `/etc/netns/${g.lab.client}/resolv.conf`;
  const theirs = 'nameserver 192.0.2.53\nsearch home.example\n';

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'dc' });
    client = startClient(g);
    await client.waitForState('connected');
  }, 60_000);
  afterAll(async () => {
    client?.child.kill('SIGKILL');
    await g?.down();
  });

  it('puts the intranet servers back on top of the rewritten file', async () => {
    expect(readFileSync(resolvConf(), 'utf8')).toMatch(/^# passerelle-managed/);
    writeFileSync(resolvConf(), theirs); // in place, as the bind mount requires
    await waitFor(
      'resolv.conf managed again',
      () => readFileSync(resolvConf(), 'utf8').startsWith('# passerelle-managed'),
      8_000,
    );
    const managed = readFileSync(resolvConf(), 'utf8');
    expect(managed.indexOf(`nameserver ${LAB.dns}`)).toBeLessThan(
      managed.indexOf('nameserver 192.0.2.53'),
    );
    expect(managed).toMatch(/^search .*corp\.test.* home\.example$/m);
    const name = await g.lab.exec(g.lab.client, ['getent', 'hosts', 'app.corp.test']);
    expect(name.stdout).toMatch(new RegExp(`^${LAB.web.replaceAll('.', '\\.')}\\s`));
  }, 30_000);

  it('restores the newer file on disconnect', async () => {
    client.child.kill('SIGTERM');
    expect(await client.exited).toBe(0);
    expect(readFileSync(resolvConf(), 'utf8')).toBe(theirs);
  });
});
