// `npm run bench`: Passerelle end to end against the direct path, measured in the same run, in
// the netns lab (client → gateway → intranet). The direct path is the gateway namespace as a
// plain router; then the same hosts with the Passerelle client connected and the gateway
// proxying. A benchmark, not a test: it prints figures and ratios, it asserts nothing.
//
// Knobs (environment): T_BULK (s, iperf3 TCP, default 8), T_UDP (s, default 5), CURL_N (200),
// AB_N (2000), WARMUP (connections before measuring, default 6000), MTU (TUN MTU, default the
// engine's), ONLY=tcp (throughput only), ONLY=load (requests during a bulk upload only).
//
// Warm-up: the engine and the gateway are JavaScript, and this VM's CPUs are slow for a
// second or so after idling: ab -c 20 on an idle system gives ~2,200 conn/s, the same ab
// right after a few thousand connections ~3,450. Both are printed: "conn/s cold" is the first
// ab of the run, "conn/s" the one right after WARMUP connections.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayLab, exampleConfig } from '../dist/lab/gateway-lab.js';
import { startClient } from '../dist/lab/client-runner.js';
import { LAB } from '../dist/lab/netns.js';

const T_BULK = Number(process.env.T_BULK ?? 8);
const T_UDP = Number(process.env.T_UDP ?? 5);
const CURL_N = Number(process.env.CURL_N ?? 200);
const AB_N = Number(process.env.AB_N ?? 2000);
const WARMUP = Number(process.env.WARMUP ?? 6000);
const HTTP = `http://${LAB.web}:8080/`;

const FLOW = process.env.GW_STREAM_WINDOW
  ? `flowControl: { streamWindowBytes: ${process.env.GW_STREAM_WINDOW}, connectionWindowBytes: ${process.env.GW_CONN_WINDOW ?? 67108864} }\n`
  : '';
const CONFIG = exampleConfig(FLOW)
  .replace(
    /resources:\n/,
    `resources:\n  - { name: bench, address: 198.18.0.10/32, ports: [5201, 8080], protocols: [tcp, udp] }\n`,
  )
  .replace('allow: [web, dns, ping, echo]', 'allow: [web, dns, ping, echo, bench]');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}

async function measure(g, label) {
  const sh = (argv, timeoutMs = 120_000) => g.lab.exec(g.lab.client, argv, { timeoutMs });
  const row = { label };
  const iperf = async (extra) => {
    const r = await sh(['iperf3', '-c', LAB.web, '-J', ...extra], (T_BULK + 20) * 1000);
    try {
      return JSON.parse(r.stdout).end;
    } catch {
      return undefined;
    }
  };
  const abRate = async (n) => {
    const ab = await sh(['ab', '-q', '-n', String(n), '-c', '20', HTTP]);
    return Number(/Requests per second:\s+([\d.]+)/.exec(ab.stdout)?.[1]);
  };
  if (process.env.ONLY === 'load') return loadedRequests(g, sh, row);
  if (process.env.ONLY !== 'tcp') {
    console.error(`[${label}] cold ab -n ${AB_N}`);
    row.connPerSecCold = await abRate(AB_N);
  }
  console.error(`[${label}] TCP c→s`);
  row.tcpUp = (await iperf(['-t', String(T_BULK)]))?.sum_received?.bits_per_second / 1e6;
  console.error(`[${label}] TCP s→c`);
  row.tcpDown = (await iperf(['-t', String(T_BULK), '-R']))?.sum_received?.bits_per_second / 1e6;
  if (process.env.ONLY === 'tcp') return row;
  console.error(`[${label}] UDP 1 Gbit/s offered`);
  const udp = await iperf(['-u', '-b', '1G', '-t', String(T_UDP), '-l', '1400']);
  row.udpRx = (udp?.sum_received?.bits_per_second ?? udp?.sum?.bits_per_second) / 1e6;
  row.udpLoss = udp?.sum_received?.lost_percent ?? udp?.sum?.lost_percent;
  console.error(`[${label}] ping`);
  const ping = await sh(['ping', '-c', '50', '-i', '0.05', '-q', LAB.web]);
  row.pingMs = Number(/= [\d.]+\/([\d.]+)\//.exec(ping.stdout)?.[1]);
  console.error(`[${label}] ${CURL_N} sequential short requests`);
  const curls = await sh([
    'sh',
    '-c',
    `for i in $(seq ${CURL_N}); do curl -s -o /dev/null -w '%{time_total}\\n' ${HTTP}; done`,
  ]);
  row.curlMs = median(
    curls.stdout
      .trim()
      .split('\n')
      .map((s) => Number(s) * 1000),
  );
  console.error(`[${label}] ab -n ${AB_N} -c 20`);
  if (WARMUP > 0) await abRate(WARMUP);
  row.connPerSec = await abRate(AB_N);
  return loadedRequests(g, sh, row);
}

async function loadedRequests(g, sh, row) {
  console.error(`[${row.label}] short requests during a bulk transfer`);
  const bulk = g.lab.spawn(g.lab.client, ['iperf3', '-c', LAB.web, '-t', '10']);
  await new Promise((r) => setTimeout(r, 1000));
  const loaded = await sh([
    'sh',
    '-c',
    `for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\\n' ${HTTP}; sleep 0.3; done`,
  ]);
  const loadPing = await sh(['ping', '-c', '20', '-i', '0.1', '-q', LAB.web]);
  await new Promise((r) => bulk.once('exit', r));
  row.loadCurlMs = median(
    loaded.stdout
      .trim()
      .split('\n')
      .map((s) => Number(s) * 1000),
  );
  row.loadPingMs = Number(/= [\d.]+\/([\d.]+)\//.exec(loadPing.stdout)?.[1]);
  return row;
}

/** The anchors measured on this kind of machine (ocserv, WireGuard), if the harness is beside us. */
function anchors() {
  const dir = join(import.meta.dirname, '../../shared/bench/results');
  if (!existsSync(dir)) return [];
  const file = readdirSync(dir)
    .filter((f) => f.startsWith('anchors-'))
    .sort()
    .pop();
  if (!file) return [];
  const rows = [];
  // Only the "Absolute numbers" table: the file has ratio and detail tables of the same shape.
  const text = readFileSync(join(dir, file), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith('Absolute numbers')) ?? '';
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 12 || !/^(ocserv|wireguard)/.test(cells[1] ?? '')) continue;
    const n = (i) => Number(cells[i]);
    rows.push({
      label: `${cells[1]} (anchor, ${file.slice(8, 18)})`,
      tcpUp: n(2),
      tcpDown: n(3),
      udpRx: n(4),
      udpLoss: n(5),
      pingMs: n(6),
      curlMs: n(7),
      connPerSec: n(8),
      loadPingMs: n(9),
      loadCurlMs: n(10),
    });
  }
  return rows;
}

const COLUMNS = [
  ['tcpUp', 'TCP c→s Mbit/s', 0],
  ['tcpDown', 'TCP s→c Mbit/s', 0],
  ['udpRx', 'UDP rx Mbit/s @1G', 0],
  ['udpLoss', 'UDP loss %', 1],
  ['pingMs', 'ping ms', 2],
  ['curlMs', 'short request ms', 2],
  ['connPerSec', 'conn/s (ab -c20)', 0],
  ['connPerSecCold', 'conn/s cold', 0],
  ['loadPingMs', 'ping under load ms', 2],
  ['loadCurlMs', 'request under load ms', 2],
];

function table(rows, direct) {
  const head = `| path | ${COLUMNS.map((c) => c[1]).join(' | ')} |`;
  const sep = `|---|${COLUMNS.map(() => '---').join('|')}|`;
  const body = rows.map(
    (r) =>
      `| ${r.label} | ${COLUMNS.map(([k, , d]) => (Number.isFinite(r[k]) ? r[k].toFixed(d) : 'n/a')).join(' | ')} |`,
  );
  const ratio = rows
    .filter((r) => direct !== undefined && r !== direct)
    .map(
      (r) =>
        `| ${r.label} ÷ direct | ${COLUMNS.map(([k]) => (k === 'udpLoss' ? '' : Number.isFinite(r[k] / direct[k]) ? `${(r[k] / direct[k]).toFixed(2)}×` : 'n/a')).join(' | ')} |`,
    );
  return [head, sep, ...body, ...ratio].join('\n');
}

async function main() {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: the benchmark builds network namespaces');
  const g = await createGatewayLab({ tag: 'bn', config: CONFIG });
  const stop = async () => {
    await g.down();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    g.lab.spawn(g.lab.intranet, ['iperf3', '-s', '-B', LAB.web]);
    await new Promise((r) => setTimeout(r, 500));

    // Direct: the gateway namespace routes, the client has a plain route.
    execFileSync('ip', ['netns', 'exec', g.lab.gateway, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    execFileSync('ip', [
      '-n',
      g.lab.client,
      'route',
      'add',
      '198.18.0.0/23',
      'via',
      LAB.gatewayPublic,
    ]);
    const direct = await measure(g, 'direct (routed)');
    execFileSync('ip', [
      '-n',
      g.lab.client,
      'route',
      'del',
      '198.18.0.0/23',
      'via',
      LAB.gatewayPublic,
    ]);
    execFileSync('ip', ['netns', 'exec', g.lab.gateway, 'sysctl', '-qw', 'net.ipv4.ip_forward=0']);

    const client = startClient(g, { extraArgs: process.env.MTU ? ['--mtu', process.env.MTU] : [] });
    await client.waitForState('connected');
    const passerelle = await measure(g, 'passerelle');
    client.child.kill('SIGTERM');
    await client.exited;

    const rows = [direct, passerelle];
    console.log(
      `\nPasserelle end to end vs the direct path, same run (${new Date().toISOString()}), ${execFileSync('nproc').toString().trim()} cores`,
    );
    console.log(
      `iperf3 TCP ${T_BULK} s each way; UDP -b 1G -l 1400 ${T_UDP} s; ping -c 50 -i 0.05; ${CURL_N} sequential curl (new connection each); ab -n ${AB_N} -c 20; under load: 20 curls and ping during a 10 s iperf3 c→s.\n`,
    );
    console.log(table(rows, direct));
    const others = anchors();
    if (others.length > 0) {
      // Measured elsewhere, on another machine: shown for scale, never divided by our direct
      // row. `npm run bench:harness` measures ocserv in the same run.
      console.log(
        '\nAnchors from ../shared/bench/results (another run, maybe another machine; for ratios in the same run: npm run bench:harness):\n',
      );
      console.log(table(others, undefined));
    }
  } finally {
    await stop();
  }
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
