// npm run bench:gateway — the gateway's figures (issue 2), measured in one run in a netns lab
// of its own, each next to the direct path (the gateway namespace routing plainly, no
// gateway process in the way):
//   1. single-flow TCP throughput (client → intranet sink, HTTP/2 CONNECT vs plain TCP),
//   2. new TCP flows per second (CONNECT + small request + close),
//   3. gateway RSS per idle flow at 10,000 CONNECT streams.
// Also iperf3 on the direct path, as the kernel's own reference. The namespaces are removed at
// the end, on error, and on SIGINT/SIGTERM. Traffic stays inside the lab.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const { createLab, LAB, waitFor } = await import(join(ROOT, 'dist/lab/netns.js'));
const { makePki } = await import(join(ROOT, 'dist/lab/pki.js'));
const { exampleConfig, writeUsers, USERS, GATEWAY_CLI } = await import(
  join(ROOT, 'dist/lab/gateway-lab.js')
);

const CLIENT = join(import.meta.dirname, 'client.js');
const SERVERS = join(import.meta.dirname, 'servers.js');
const SINK_PORT = 8050;
const HOLD_PORT = 8051;
const REPLY_PORT = 8052;
const HOLD_FLOWS = 10_000;
const TARGETS = { throughputGbit: 2, flowsPerSecond: 3000, perFlowKiB: 16 };
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);

let lab;
let dir;
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: removing the lab`);
    cleanup().finally(() => process.exit(130));
  });
}

/** Runs in a namespace with a raised open-files limit (10,000 flows need as many sockets). */
const withFiles = (argv) => [
  'sh',
  '-c',
  'ulimit -n 65536 2>/dev/null || ulimit -n 20000; exec "$@"',
  'sh',
  ...argv,
];

async function measure(mode, args, timeoutMs) {
  const r = await lab.exec(lab.client, withFiles(['node', CLIENT, mode, JSON.stringify(args)]), {
    timeoutMs,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let result;
  try {
    result = JSON.parse(line);
  } catch {
    throw new Error(`${mode} printed ${JSON.stringify(r.stdout)} ${r.stderr}`);
  }
  if (result.error) throw new Error(`${mode} (${args.via}): ${result.error}`);
  return result;
}

async function main() {
  const t0 = Date.now();
  lab = await createLab({ tag: 'bg', gatewayForwards: true });
  dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
  const pki = makePki(dir, LAB.gatewayPublic);
  await writeUsers(dir);
  const configPath = join(dir, 'gateway.yaml');
  // The configuration, plus room for 10,000 flows in one session of one user.
  writeFileSync(
    configPath,
    exampleConfig(
      `limits: { streamsPerSession: ${HOLD_FLOWS + 100}, flowsPerUser: ${HOLD_FLOWS + 100} }\n`,
    ),
  );

  const servers = lab.spawn(lab.intranet, withFiles(['node', SERVERS, LAB.web]));
  await new Promise((ok, fail) => {
    servers.stdout.once('data', () => ok());
    servers.once('exit', (code) => fail(new Error(`intranet servers exited with ${code}`)));
  });
  const iperf = lab.spawn(lab.intranet, ['iperf3', '-s', '-B', LAB.web, '-p', '5201']);
  void iperf;

  let output = '';
  const gateway = lab.spawn(
    lab.gateway,
    withFiles(['node', GATEWAY_CLI, 'serve', '--config', configPath]),
  );
  gateway.stdout.on('data', (d) => (output += d));
  gateway.stderr.on('data', (d) => (output += d));
  await waitFor(
    'the gateway to listen',
    () => output.includes('listening on') || gateway.exitCode !== null,
    15_000,
  );
  if (gateway.exitCode !== null) throw new Error(`gateway exited: ${output}`);

  const viaGateway = {
    via: 'gateway',
    url: `https://${LAB.gatewayPublic}:443`,
    ca: pki.caCert,
    username: 'alice',
    password: USERS.alice.password,
    host: LAB.web,
  };
  const direct = { via: 'direct', host: LAB.web };
  const results = {};

  console.log(`throughput: ${SECONDS} s single flow, direct then through the gateway…`);
  const ip = await lab.exec(
    lab.client,
    ['iperf3', '-c', LAB.web, '-p', '5201', '-t', String(SECONDS), '-J'],
    {
      timeoutMs: (SECONDS + 20) * 1000,
    },
  );
  try {
    results.iperf3Gbit = JSON.parse(ip.stdout).end.sum_received.bits_per_second / 1e9;
  } catch {
    results.iperf3Gbit = NaN;
  }
  const tput = { port: SINK_PORT, seconds: SECONDS };
  results.throughputDirect = await measure(
    'throughput',
    { ...direct, ...tput },
    (SECONDS + 90) * 1000,
  );
  results.throughputGateway = await measure(
    'throughput',
    { ...viaGateway, ...tput },
    (SECONDS + 90) * 1000,
  );

  console.log('new flows per second, direct then through the gateway…');
  const fl = { port: REPLY_PORT, count: 20_000, concurrency: 64, seconds: SECONDS };
  results.flowsDirect = await measure('flows', { ...direct, ...fl }, (SECONDS + 90) * 1000);
  results.flowsGateway = await measure('flows', { ...viaGateway, ...fl }, (SECONDS + 90) * 1000);

  console.log(`gateway RSS at ${HOLD_FLOWS} idle flows…`);
  results.hold = await measure(
    'hold',
    { ...viaGateway, port: HOLD_PORT, count: HOLD_FLOWS, seconds: 60, pid: gateway.pid },
    180_000,
  );

  printTable(results);
  console.log(
    `\n(lab run took ${Math.round((Date.now() - t0) / 1000)} s; raw: ${JSON.stringify(results)})`,
  );
  if (gateway.exitCode !== null) throw new Error(`the gateway exited during the run: ${output}`);
}

function printTable(r) {
  const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const mark = (ok) => (ok ? 'yes' : 'NO');
  const rows = [
    ['figure', 'direct', 'gateway', 'gateway/direct', 'target', 'met'],
    [
      'single-flow TCP (Gbit/s)',
      f(r.throughputDirect.gbitPerSecond),
      f(r.throughputGateway.gbitPerSecond),
      f(r.throughputGateway.gbitPerSecond / r.throughputDirect.gbitPerSecond),
      `>= ${TARGETS.throughputGbit}`,
      mark(r.throughputGateway.gbitPerSecond >= TARGETS.throughputGbit),
    ],
    [
      'new TCP flows per second',
      f(r.flowsDirect.perSecond, 0),
      f(r.flowsGateway.perSecond, 0),
      f(r.flowsGateway.perSecond / r.flowsDirect.perSecond),
      `>= ${TARGETS.flowsPerSecond}`,
      mark(r.flowsGateway.perSecond >= TARGETS.flowsPerSecond && r.flowsGateway.failed === 0),
    ],
    [
      `RSS per idle flow at ${r.hold.held} flows (KiB)`,
      '-',
      f(r.hold.perFlowKiB, 1),
      '-',
      `<= ${TARGETS.perFlowKiB}`,
      mark(r.hold.perFlowKiB <= TARGETS.perFlowKiB && r.hold.held === HOLD_FLOWS),
    ],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  console.log('');
  for (const [i, row] of rows.entries()) {
    console.log(
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log(
    `\niperf3 on the direct path (kernel to kernel, for reference): ${f(r.iperf3Gbit)} Gbit/s`,
  );
  console.log(
    `flows: direct ${r.flowsDirect.flows} in ${f(r.flowsDirect.seconds, 1)} s (${r.flowsDirect.failed} failed), ` +
      `gateway ${r.flowsGateway.flows} in ${f(r.flowsGateway.seconds, 1)} s (${r.flowsGateway.failed} failed)`,
  );
  console.log(
    `gateway RSS ${r.hold.beforeKiB} KiB before, ${r.hold.afterKiB} KiB with ${r.hold.held} idle flows` +
      (r.hold.failed ? ` (${r.hold.failed} failed: ${r.hold.firstError})` : ''),
  );
}

try {
  await main();
} catch (err) {
  console.error(`bench:gateway failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
