// The client engine end to end: the headless client in the client namespace, connected to
// the real gateway; ordinary programs (curl, dig, getent, ping) reach the intranet through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayLab, type GatewayLab } from '../lab/gateway-lab.js';
import { startClient, type RunningClient } from '../lab/client-runner.js';
import { LAB } from '../lab/lab.js';

const TUN = 'passerelle0';

describe('engine in the lab', () => {
  let g: GatewayLab;
  let client: RunningClient;
  let before: { routes: string; addresses: string; resolv: string };

  const sh = async (argv: string[], timeoutMs = 30_000) =>
    g.lab.exec(g.lab.client, argv, { timeoutMs });
  // IPv4 only: the engine touches nothing else, and IPv6 link-local setup (DAD) changes the
  // IPv6 view on its own while the test runs.
  const snapshot = async () => ({
    routes: (await sh(['ip', '-4', '-j', 'route', 'show', 'table', 'all'])).stdout,
    addresses: (await sh(['ip', '-4', '-j', 'addr'])).stdout,
    resolv: (await sh(['cat', '/etc/resolv.conf'])).stdout,
  });

  beforeAll(async () => {
    g = await createGatewayLab({ tag: 'en' });
    before = await snapshot();
    client = startClient(g);
    await client.waitForState('connected');
  }, 60_000);
  afterAll(async () => {
    client?.child.kill('SIGKILL');
    await g?.down();
  });

  it('reaches an intranet web server; the server sees the gateway', async () => {
    const r = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${LAB.gatewayPrivate}\n`);
  });

  it('downloads and uploads 100 MB intact', async () => {
    const size = 100 * 1024 * 1024;
    const down = await sh(
      ['sh', '-c', `curl -sS --max-time 60 http://${LAB.web}/bytes?n=${size} | sha256sum`],
      90_000,
    );
    const local = await sh([
      'sh',
      '-c',
      `node -e "const b=Buffer.alloc(65536);for(let i=0;i<b.length;i++)b[i]=(i*31+7)&255;let n=${size};while(n>0){const c=n>=b.length?b:b.subarray(0,n);process.stdout.write(c);n-=c.length}" | sha256sum`,
    ]);
    expect(down.stdout.split(' ')[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(down.stdout).toBe(local.stdout);
    const up = await sh(
      [
        'sh',
        '-c',
        `head -c ${size} /dev/urandom > /tmp/up.$$ && sha256sum < /tmp/up.$$ | cut -d' ' -f1 && curl -sS --max-time 60 --data-binary @/tmp/up.$$ http://${LAB.web}/sha256; rm -f /tmp/up.$$`,
      ],
      90_000,
    );
    const [localHash, remote] = up.stdout.trim().split('\n');
    expect(remote).toBe(`${size} ${localHash}`);
  }, 120_000);

  it('completes 1,000 parallel connections', async () => {
    const r = await sh(
      [
        'sh',
        '-c',
        `seq 1000 | xargs -P 200 -I{} curl -s -o /dev/null -w '%{http_code}\\n' --max-time 30 http://${LAB.web}/whoami | sort | uniq -c`,
      ],
      90_000,
    );
    expect(r.stdout.trim()).toBe('1000 200');
  }, 120_000);

  it('serves 3,000 back-to-back short connections (ab) without a single reset', async () => {
    // ab reuses source ports at once (the server closes first, so its side keeps no
    // TIME_WAIT): each reuse must become a new flow, never land on the old mapping.
    const r = await sh(['ab', '-q', '-n', '3000', '-c', '20', `http://${LAB.web}/`], 90_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Complete requests:\s+3000/);
    expect(r.stdout).toMatch(/Failed requests:\s+0/);
  }, 120_000);

  it('survives 1,500 applications aborting their connections (no reset storm towards the gateway)', async () => {
    // nghttp2 drops a whole connection that sends RST_STREAM too fast (rapid-reset guard):
    // aborted flows must not take the tunnel down with them.
    const script = `
      const net = require('node:net');
      let done = 0, started = 0;
      const next = () => {
        if (started >= 1500) return;
        started++;
        const s = net.connect(80, '${LAB.web}', () => { s.write('GET /bytes?n=10000000 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'); setTimeout(() => s.resetAndDestroy(), 5); });
        s.on('error', () => {});
        s.on('close', () => { done++; if (done === 1500) console.log('done'); else next(); });
      };
      for (let i = 0; i < 50; i++) next();`;
    const r = await sh(['node', '-e', script], 90_000);
    expect(r.stdout.trim()).toBe('done');
    expect(client.states().some((s) => s.kind === 'reconnecting')).toBe(false);
    const after = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
    expect(after.stdout).toBe(`${LAB.gatewayPrivate}\n`);
  }, 120_000);

  it('passes a target reset on to the application as a failure, and carries on', async () => {
    // RST_STREAM CONNECT_ERROR from the gateway, a reset to the application: curl's
    // "Recv failure: Connection reset by peer" (56), as on a direct path.
    const r = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/reset`]);
    expect(r.code).toBe(56);
    const after = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/whoami`]);
    expect(after.stdout).toBe(`${LAB.gatewayPrivate}\n`);
  });

  it('never lets a body cut short by a target reset look complete', async () => {
    // The body of an HTTP/1.0 answer without a length ends with the connection: if the
    // target's reset reached the application as an orderly close, the truncated body would
    // pass for the whole one (curl exit 0). It must be a reset (curl 56), as on a direct path.
    for (let i = 0; i < 5; i++) {
      const r = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}/truncate`]);
      expect(r.stdout).toBe('partial body\n');
      expect(r.code).toBe(56);
    }
  });

  it('refuses a denied destination at once with "connection refused"', async () => {
    const started = Date.now();
    const r = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.denied}/`]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/Couldn't connect|Connection refused/);
    expect(Date.now() - started).toBeLessThan(2000);
    // A port the policy does not list on an allowed host: refused too.
    const port = await sh(['curl', '-sS', '--max-time', '10', `http://${LAB.web}:9000/`]);
    expect(port.code).toBe(7);
  });

  it('queries the intranet DNS server over the tunnel, and ordinary programs resolve intranet names', async () => {
    const dig = await sh(['dig', '+short', '+time=3', '+tries=1', `@${LAB.dns}`, 'app.corp.test']);
    expect(dig.stdout.trim()).toBe(LAB.web);
    const getent = await sh(['getent', 'hosts', 'app.corp.test']);
    expect(getent.stdout).toMatch(
      new RegExp(`^${LAB.web.replace(/\./g, '\\.')}\\s+app\\.corp\\.test`),
    );
    const byName = await sh(['curl', '-sS', '--max-time', '10', 'http://app.corp.test/whoami']);
    expect(byName.stdout).toBe(`${LAB.gatewayPrivate}\n`);
  });

  it('pings an allowed host and gets replies from it; a denied host is unreachable', async () => {
    const ok = await sh(['ping', '-c', '3', '-i', '0.2', '-W', '2', LAB.web]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(`64 bytes from ${LAB.web.replace(/\./g, '\\.')}: icmp_seq=1`),
    );
    const denied = await sh(['ping', '-c', '1', '-W', '2', LAB.denied]);
    expect(denied.code).not.toBe(0);
    expect(denied.stdout).toMatch(/Packet filtered|Destination Host Prohibited|Unreachable/i);
  });

  it('drops and counts what it cannot carry: a fragment, another protocol, another ICMP type', async () => {
    // Crafted with a raw socket (the kernel fills in the source, length and IP checksum).
    const python = `
import socket, struct
def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def send(protocol, payload, flags=0x4000):
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0x1234, flags, 64, protocol, 0,
                         socket.inet_aton('0.0.0.0'), socket.inet_aton('${LAB.web}'))
    raw.sendto(header + payload, ('${LAB.web}', 0))
send(17, bytes(16), 0x2000)             # first fragment of a UDP datagram (MF set)
send(47, bytes(8))                      # GRE
icmp = struct.pack('!BBHHH', 13, 0, 0, 1, 1) + bytes(12)   # ICMP timestamp request
send(1, icmp[:2] + struct.pack('!H', checksum(icmp)) + icmp[4:])
`;
    const sent = await sh(['python3', '-c', python]);
    expect(sent.stderr).toBe('');
    const stats = await client.stats();
    expect(stats.dropped['ip-fragment']).toBeGreaterThanOrEqual(1);
    expect(stats.dropped['ip-unsupported-protocol']).toBeGreaterThanOrEqual(1);
    expect(stats.dropped['icmp-not-echo-request']).toBeGreaterThanOrEqual(1);
  });

  it('keeps addresses outside the secured networks out of the tunnel (split tunnel)', async () => {
    const route = JSON.parse(
      (await sh(['ip', '-j', 'route', 'get', LAB.gatewayPublic])).stdout,
    ) as { dev: string }[];
    expect(route[0]?.dev).not.toBe(TUN);
    const inside = JSON.parse((await sh(['ip', '-j', 'route', 'get', LAB.web])).stdout) as {
      dev: string;
    }[];
    expect(inside[0]?.dev).toBe(TUN);
    const counters = async () => {
      const link = JSON.parse((await sh(['ip', '-j', '-s', 'link', 'show', TUN])).stdout) as {
        stats64: { rx: { packets: number }; tx: { packets: number } };
      }[];
      return link[0]?.stats64;
    };
    const start = await counters();
    // Traffic to an address outside 198.18.0.0/23 (the gateway's public side) stays off the TUN.
    await sh(['ping', '-c', '3', '-i', '0.2', LAB.gatewayPublic]);
    const end = await counters();
    expect(end?.tx.packets).toBe(start?.tx.packets);
    expect(end?.rx.packets).toBe(start?.rx.packets);
  });

  it('leaves routes, addresses and DNS as they were after SIGTERM', async () => {
    client.child.kill('SIGTERM');
    expect(await client.exited).toBe(0);
    expect(client.states().at(-1)?.kind).toBe('disconnected');
    expect(await snapshot()).toEqual(before);
  });

  it('repairs what a killed engine left, at the next start', async () => {
    const killed = startClient(g);
    await killed.waitForState('connected');
    killed.child.kill('SIGKILL');
    await killed.exited;
    // The kernel removed the TUN with its routes; the DNS change is still there.
    expect((await sh(['cat', '/etc/resolv.conf'])).stdout).toMatch(/passerelle-managed/);
    const next = startClient(g);
    await next.waitForState('connected');
    next.child.kill('SIGINT');
    expect(await next.exited).toBe(0);
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});
