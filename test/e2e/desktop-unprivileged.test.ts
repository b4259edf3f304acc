// The desktop app as an ordinary user gets it: the desktop controller with the REAL engine runs
// as a local user the test creates (no capability, no way to gain one), and the privileged
// helper runs as root confined as its systemd unit (CAP_NET_ADMIN alone). Connect → curl, dig
// and ping reach the intranet → disconnect restores routes, addresses, links and DNS exactly;
// then the same with the user's process killed by SIGKILL: the helper undoes it all within 2 s.
// The headless client (`passerelle connect`) goes the same way as an ordinary user.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, USERS, type GatewayLab } from '../lab/gateway-lab.js';
import { CLIENT_CLI } from '../lab/client-runner.js';
import { LAB, waitFor } from '../lab/lab.js';
import {
  capabilities,
  createLocalUser,
  startHelper,
  type LocalUser,
  type RunningHelper,
} from '../lab/helper-lab.js';
import {
  bundleControllerHost,
  startControllerHost,
  type ControllerHost,
} from '../ui/support/lab-app.js';

const TUN = 'passerelle0';
const CAP_NET_ADMIN = 1n << 12n;

let g: GatewayLab;
let user: LocalUser;
let helper: RunningHelper;
let bundle: string;
let userDir: string;

const sh = (argv: string[], timeoutMs = 30_000) => g.lab.exec(g.lab.client, argv, { timeoutMs });
/**
 * IPv6 routes, but those the kernel makes for a lab link's own link-local address and
 * multicast: they come when duplicate address detection on a fresh veth ends, which may be
 * between two snapshots. What a tunnel adds (routes on its device, a full tunnel's unreachable
 * blocks) is kept.
 */
const tunnelIpv6Routes = (json: string) =>
  (JSON.parse(json) as { dst: string; dev?: string }[]).filter(
    (route) => route.dev === TUN || !(route.dst.startsWith('fe80:') || route.dst === 'ff00::/8'),
  );
/** What the tunnel may change in the client namespace, to compare before and after. */
const netSnapshot = async () => ({
  links: (await sh(['ip', '-br', 'link'])).stdout,
  addresses: (await sh(['ip', '-4', '-j', 'addr'])).stdout,
  routes: (await sh(['ip', '-4', '-j', 'route', 'show', 'table', 'all'])).stdout,
  routes6: tunnelIpv6Routes((await sh(['ip', '-6', '-j', 'route', 'show', 'table', 'all'])).stdout),
  resolv: (await sh(['cat', '/etc/resolv.conf'])).stdout,
});
let before: Awaited<ReturnType<typeof netSnapshot>>;

/**
 * The user's processes find the helper through this variable (the installed path otherwise),
 * and keep their temporary files in a folder this test removes (a killed one cannot).
 */
const asUser = (socket = helper.socket) => [
  ...user.prefix,
  'env',
  `PASSERELLE_HELPER_SOCKET=${socket}`,
  `TMPDIR=${join(userDir, 'tmp')}`,
];

async function reachesIntranet(): Promise<void> {
  const curl = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
  expect(curl.code, curl.stderr).toBe(0);
  expect(curl.stdout.trim()).toBe(LAB.gatewayPrivate); // reverse NAT: the gateway's address
  // The intranet name through the DNS the helper set up (resolv.conf of the namespace).
  const dig = await sh(['dig', '+short', '+time=3', '+tries=2', 'app.corp.test']);
  expect(dig.stdout.trim()).toBe(LAB.web);
  const ping = await sh(['ping', '-c', '3', '-i', '0.2', '-W', '2', LAB.web]);
  expect(ping.stdout, ping.stderr).toMatch(/3 received/);
}

beforeAll(async () => {
  bundle = await bundleControllerHost();
  g = await createGatewayLab({ tag: 'du' });
  user = await createLocalUser('du');
  helper = await startHelper(g.lab, mkdtempSync(join(tmpdir(), 'passerelle-helper-')));
  // The headless client's password file, readable by the user alone.
  userDir = mkdtempSync(join(tmpdir(), 'passerelle-user-'));
  chmodSync(userDir, 0o755);
  writeFileSync(join(userDir, 'password'), `${USERS.alice.password}\n`, { mode: 0o600 });
  chownSync(join(userDir, 'password'), user.uid, user.gid);
  mkdirSync(join(userDir, 'tmp'), { mode: 0o700 });
  chownSync(join(userDir, 'tmp'), user.uid, user.gid);
  before = await netSnapshot();
}, 120_000);

afterAll(async () => {
  await helper?.stop();
  await g?.down();
  await user?.remove();
  if (userDir) rmSync(userDir, { recursive: true, force: true });
});

describe('the desktop controller as an ordinary user, through the helper', () => {
  let host: ControllerHost | undefined;

  afterAll(async () => {
    await host?.stop();
  });

  async function connect(): Promise<ControllerHost> {
    const h = await startControllerHost(g, bundle, asUser());
    const saved = await h.invoke('passerelle:profiles.save', {
      name: 'Lab',
      gatewayUrl: g.url,
      username: 'alice',
      pin: `sha256:${g.pki.fingerprint}`,
    });
    expect(saved.type).toBe('success');
    const login = await h.invoke('passerelle:tunnel.login', {
      gatewayUrl: g.url,
      username: 'alice',
      password: USERS.alice.password,
      remember: false,
    });
    expect(login, h.log()).toMatchObject({ type: 'success' });
    await waitFor(
      () => `the engine to connect (log: ${h.log()})`,
      async () => (await h.engine()).state.kind === 'connected',
      30_000,
    );
    return h;
  }

  it('the helper holds CAP_NET_ADMIN alone; the controller runs as the user with nothing', async () => {
    const helperCaps = await capabilities(g.lab, helper.pid);
    expect(helperCaps).toMatchObject({ uid: 0, eff: CAP_NET_ADMIN, bnd: CAP_NET_ADMIN });
    expect(helperCaps.noNewPrivs).toBe(true);
    host = await startControllerHost(g, bundle, asUser());
    const caps = await capabilities(g.lab, host.pid);
    expect(caps).toEqual({ uid: user.uid, eff: 0n, prm: 0n, bnd: 0n, noNewPrivs: true });
    await host.stop();
    host = undefined;
  });

  it('connects; curl, dig and ping reach the intranet; the TUN belongs to the user', async () => {
    host = await connect();
    const link = JSON.parse((await sh(['ip', '-d', '-j', 'link', 'show', 'dev', TUN])).stdout) as {
      linkinfo: { info_kind: string; info_data: { user: string } };
    }[];
    expect(link[0]?.linkinfo).toMatchObject({ info_kind: 'tun', info_data: { user: user.name } });
    await reachesIntranet();
    expect(helper.output()).toMatch(
      new RegExp(`uid ${user.uid} pid ${host.pid}: configure ${TUN} .*: ok`),
    );
  }, 60_000);

  it('disconnect restores routes, addresses, links and DNS exactly', async () => {
    const h = host as ControllerHost;
    expect(await h.invoke('passerelle:tunnel.disconnect', null)).toMatchObject({
      type: 'success',
    });
    expect((await h.engine()).state.kind).toBe('disconnected');
    expect(await netSnapshot()).toEqual(before);
    await h.stop();
    host = undefined;
  }, 30_000);

  it('without the helper service (an AppImage): Connect says what to install', async () => {
    const missing = join(userDir, 'no-helper.sock');
    const h = await startControllerHost(g, bundle, asUser(missing));
    try {
      await h.invoke('passerelle:profiles.save', {
        name: 'Lab',
        gatewayUrl: g.url,
        username: 'alice',
        pin: `sha256:${g.pki.fingerprint}`,
      });
      await h.invoke('passerelle:tunnel.login', {
        gatewayUrl: g.url,
        username: 'alice',
        password: USERS.alice.password,
        remember: false,
      });
      await waitFor(
        () => `the engine to fail (log: ${h.log()})`,
        async () => (await h.engine()).state.kind === 'error',
        15_000,
      );
      expect((await h.engine()).state).toMatchObject({ kind: 'error', reason: 'helper-missing' });
      // The controller's words for it (the notification; the window maps the same reason).
      expect(h.log()).toMatch(
        /notification: Could not connect: The Passerelle network service is not running\. Install the Passerelle \.deb package/,
      );
      expect(await netSnapshot()).toEqual(before);
    } finally {
      await h.stop();
    }
  }, 60_000);

  it("the user's process killed with SIGKILL: the helper undoes everything within 2 s", async () => {
    const h = await connect();
    expect(await netSnapshot()).not.toEqual(before);
    process.kill(h.pid, 'SIGKILL');
    const killedAt = Date.now();
    let restoredAfter = -1;
    while (Date.now() - killedAt < 5000) {
      if (JSON.stringify(await netSnapshot()) === JSON.stringify(before)) {
        restoredAfter = Date.now() - killedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(restoredAfter, `not restored after 5 s: ${helper.output()}`).toBeGreaterThanOrEqual(0);
    console.log(`the helper restored the namespace ${restoredAfter} ms after the SIGKILL`);
    expect(restoredAfter).toBeLessThan(2000);
    expect(helper.output()).toMatch(
      new RegExp(
        `uid ${user.uid} pid ${h.pid}: disconnected \\(the connection closed\\): undid ${TUN}`,
      ),
    );
    await h.stop();
  }, 60_000);
});

describe('the headless client', () => {
  it('as an ordinary user, through the helper: connects, reaches the intranet, undoes on exit', async () => {
    const child = g.lab.spawn(g.lab.client, [
      ...asUser(),
      'node',
      CLIENT_CLI,
      'connect',
      g.url,
      '--user',
      'alice',
      '--password-file',
      join(userDir, 'password'),
      '--pin',
      `sha256:${g.pki.fingerprint}`,
      '--json',
    ]);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(
      () => `the client to connect: ${output}`,
      () => output.includes('"connected"'),
      30_000,
    );
    expect((await capabilities(g.lab, child.pid as number)).eff).toBe(0n);
    await reachesIntranet();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await netSnapshot()).toEqual(before);
  }, 60_000);

  it('as an ordinary user without the helper: exit 6, saying what to install', async () => {
    const r = await sh([
      ...asUser(join(userDir, 'no-helper.sock')),
      'sh',
      '-c',
      `node ${CLIENT_CLI} connect ${g.url} --user alice --password-file ${join(userDir, 'password')} --pin sha256:${g.pki.fingerprint} --json`,
    ]);
    expect(r.code).toBe(6);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, string>;
    expect(last).toMatchObject({ kind: 'error', reason: 'helper-missing' });
    expect(last.message).toMatch(/helper service, which is not installed or not running/);
    expect(last.message).toMatch(/\.deb package/);
  });
});
