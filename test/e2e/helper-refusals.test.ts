// The privileged helper refuses what a caller may not do, says why, logs it, and keeps serving:
// another local user's device, a device the caller was not given, malformed and oversized
// messages. Real helper (confined as its systemd unit), real users, in a lab namespace.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../lab/lab.js';
import {
  capabilities,
  createLocalUser,
  startHelper,
  startProbe,
  type HelperProbe,
  type LocalUser,
  type RunningHelper,
} from '../lab/helper-lab.js';

let lab: Lab;
let alice: LocalUser;
let mallory: LocalUser;
let helper: RunningHelper;
const probes: HelperProbe[] = [];

const DEVICE = 'plhr0';
const plan = (tunName: string, routes = ['198.18.0.0/23']) => ({
  tunName,
  address: '100.64.0.7',
  prefixLength: 32,
  spareAddress: '192.0.0.8',
  mtu: 65_000,
  routes,
  splitTunnel: true,
  gatewayIp: '198.19.0.1',
  dns: { servers: [], domains: [] },
});

function probe(user: LocalUser): HelperProbe {
  const p = startProbe(lab, user, helper.socket);
  probes.push(p);
  return p;
}

const routes = async () => (await lab.exec(lab.client, ['ip', '-4', 'route'])).stdout;

beforeAll(async () => {
  lab = await createLab({ tag: 'hr' });
  alice = await createLocalUser('hra');
  mallory = await createLocalUser('hrm');
  helper = await startHelper(lab, mkdtempSync(join(tmpdir(), 'passerelle-helper-')));
}, 60_000);

afterAll(async () => {
  for (const p of probes) await p.close().catch(() => undefined);
  await helper?.stop();
  await lab?.down();
  await alice?.remove();
  await mallory?.remove();
});

describe('the privileged helper refuses', () => {
  let aliceProbe: HelperProbe;

  it("runs as installed: the bundle on Debian 12's nodejs 18, root with CAP_NET_ADMIN alone", async () => {
    expect(helper.output()).toMatch(/listening on .*helper\.sock \(node v18\./);
    const caps = await capabilities(lab, helper.pid);
    expect(caps).toMatchObject({ uid: 0, eff: 1n << 12n, prm: 1n << 12n, bnd: 1n << 12n });
    expect(caps.noNewPrivs).toBe(true);
  });

  it('gives alice a device she owns and opens herself, without any capability', async () => {
    aliceProbe = probe(alice);
    expect(await aliceProbe.ask({ id: 1, op: 'open-tun', name: DEVICE })).toEqual({
      id: 1,
      ok: true,
      result: { name: DEVICE },
    });
    aliceProbe.send(`#open ${DEVICE}`);
    expect(await aliceProbe.next()).toEqual({ open: 'ok' });
    const link = JSON.parse(
      (await lab.exec(lab.client, ['ip', '-d', '-j', 'link', 'show', 'dev', DEVICE])).stdout,
    ) as { linkinfo: { info_kind: string; info_data: { user: string; persist: boolean } } }[];
    expect(link[0]?.linkinfo).toMatchObject({
      info_kind: 'tun',
      info_data: { user: alice.name, persist: true },
    });
  });

  it("another user's requests on alice's device, and the device itself", async () => {
    const m = probe(mallory);
    for (const [id, request] of [
      [10, { op: 'configure', plan: plan(DEVICE) }],
      [11, { op: 'refresh-host-route', tunName: DEVICE }],
      [12, { op: 'reapply-dns', tunName: DEVICE }],
      [13, { op: 'release', tunName: DEVICE }],
    ] as const) {
      expect(await m.ask({ id, ...request })).toEqual({
        id,
        ok: false,
        error: { code: 'refused', message: `${DEVICE} is not a device of this connection` },
      });
    }
    expect(await m.ask({ id: 14, op: 'open-tun', name: DEVICE })).toMatchObject({
      id: 14,
      ok: false,
      error: { code: 'refused', message: `${DEVICE} is already in use` },
    });
    // The kernel itself keeps her out of alice's device.
    m.send(`#open ${DEVICE}`);
    expect(await m.next()).toMatchObject({ open: 'error', code: 'EPERM' });
    expect(await routes()).not.toContain(DEVICE);
    for (const op of ['configure', 'refresh-host-route', 'reapply-dns', 'release'])
      expect(helper.output()).toMatch(
        new RegExp(
          `uid ${mallory.uid} pid \\d+: ${op} ${DEVICE}.*: refused: ${DEVICE} is not a device of this connection`,
        ),
      );
    await m.close();
  });

  it('a route on a device the caller was not given (even one of its own user)', async () => {
    const lanLink = `${lab.client.slice(0, -1)}cp`; // the lab's public link in this namespace
    const other = probe(alice); // alice again, on a second connection
    for (const [id, device] of [
      [20, lanLink],
      [21, 'lo'],
      [22, DEVICE], // alice's device, held by her first connection
    ] as const) {
      expect(
        await other.ask({ id, op: 'configure', plan: plan(device, ['10.99.0.0/16']) }),
      ).toEqual({
        id,
        ok: false,
        error: { code: 'refused', message: `${device} is not a device of this connection` },
      });
    }
    expect(await routes()).not.toContain('10.99.0.0/16');
    expect(helper.output()).toMatch(new RegExp(`configure ${lanLink} .*: refused`));
    await other.close();
  });

  it('malformed messages, each with the reason; the connection keeps working', async () => {
    const m = probe(mallory);
    const cases: [string, RegExp][] = [
      ['this is not json', /^not a JSON object$/],
      ['[1,2,3]', /op|expected/i],
      ['{"id":30,"op":"format-disk"}', /op/],
      ['{"id":31,"op":"open-tun"}', /^name: /],
      ['{"id":32,"op":"open-tun","name":"a;reboot"}', /^name: must be 1 to 15 letters/],
      ['{"id":33,"op":"open-tun","name":"waytoolongname0123"}', /^name: /],
      ['{"id":34,"op":"open-tun","name":"ok0","uid":0}', /uid|unrecognized/i],
      [
        JSON.stringify({ id: 35, op: 'configure', plan: { ...plan(DEVICE), mtu: 1e9 } }),
        /^plan\.mtu: /,
      ],
      [
        JSON.stringify({
          id: 36,
          op: 'configure',
          plan: { ...plan(DEVICE), routes: Array(300).fill('10.0.0.0/8') },
        }),
        /^plan\.routes: /,
      ],
    ];
    for (const [line, reason] of cases) {
      const answer = (await m.ask(line)) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(answer.ok, line).toBe(false);
      expect(answer.error.code, line).toBe('invalid');
      expect(answer.error.message, line).toMatch(reason);
    }
    expect(helper.output()).toMatch(
      new RegExp(`uid ${mallory.uid} pid \\d+: request: invalid: not a JSON object`),
    );
    // Still serving this very connection.
    expect(await m.ask({ id: 40, op: 'open-tun', name: 'plhrm0' })).toMatchObject({
      id: 40,
      ok: true,
    });
    expect(await m.ask({ id: 41, op: 'release', tunName: 'plhrm0' })).toMatchObject({
      id: 41,
      ok: true,
    });
    await m.close();
  });

  it('an oversized message: refused, connection closed, and the helper keeps serving', async () => {
    const m = probe(mallory);
    m.send('#big 20000');
    expect(await m.next()).toEqual({
      id: null,
      ok: false,
      error: { code: 'too-large', message: expect.stringMatching(/at most 16384 bytes/) },
    });
    expect(await m.next()).toEqual({ closed: true });
    expect(helper.output()).toMatch(/refused: a message over 16384 bytes; closing the connection/);
    const again = probe(mallory);
    expect(await again.ask({ id: 50, op: 'open-tun', name: 'plhrm1' })).toMatchObject({ ok: true });
    await again.close();
  });

  it("alice's device was never disturbed: she configures it, and closing undoes all", async () => {
    const configured = await aliceProbe.ask({ id: 2, op: 'configure', plan: plan(DEVICE) });
    expect(configured).toMatchObject({ id: 2, ok: true, result: { dnsMode: 'none' } });
    expect(await routes()).toContain(`198.18.0.0/23 dev ${DEVICE}`);
    await aliceProbe.close();
    const started = Date.now();
    for (;;) {
      const links = (await lab.exec(lab.client, ['ip', '-br', 'link'])).stdout;
      if (!links.includes(DEVICE) && !(await routes()).includes(DEVICE)) break;
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Every request was logged, with who asked.
    expect(helper.output()).toMatch(
      new RegExp(`uid ${alice.uid} pid \\d+: open-tun ${DEVICE}: ok`),
    );
    expect(helper.output()).toMatch(
      new RegExp(`uid ${alice.uid} pid \\d+: configure ${DEVICE} .*: ok`),
    );
    expect(helper.output()).toMatch(
      new RegExp(`uid ${alice.uid} pid \\d+: disconnected .*undid ${DEVICE}`),
    );
  });
});
