// npm run bench:gateway — the gateway's figures (issue #11), measured in one run in a netns
// lab of its own, each next to the direct path (the gateway namespace routing plainly, no
// gateway process in the way). The load generator and the intranet servers are native
// (bench/gateway/loadgen.cc, servers.cc) so that they are not the limit; every figure comes
// with the CPU each process used (seconds of CPU per second of wall time: 1.0 = one core).
//   1. single-flow TCP throughput (client → intranet sink),
//   2. new TCP flows per second (CONNECT + small request + answer + both sides end),
//   3. data-plane RSS per idle flow at HOLD_FLOWS flows (default 19,500: this machine's limit
//      of 20,000 descriptors per process, less the data plane's own),
//   4. the same throughput and flows over two connections with one worker thread, then two:
//      how the data plane grows with cores.
// BASELINE_DIR=<another checkout, built> measures figures 1–3 of that checkout's gateway too,
// in the same run and lab (e.g. the TypeScript gateway before the native data plane), so the
// table has a before column measured beside the after one.
// The namespaces are removed at the end, on error, and on SIGINT/SIGTERM. Traffic stays
// inside the lab.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const { createLab, LAB, waitFor } = await import(join(ROOT, 'dist/lab/netns.js'));
const { makePki } = await import(join(ROOT, 'dist/lab/pki.js'));
const { exampleConfig, writeUsers, USERS, GATEWAY_CLI } = await import(
  join(ROOT, 'dist/lab/gateway-lab.js')
);

const TOOLS = join(ROOT, 'src/native/build/bench');
const LOADGEN = join(TOOLS, 'loadgen');
const SERVERS = join(TOOLS, 'servers');
const SINK_PORT = 8050;
const HOLD_PORT = 8051;
const REPLY_PORT = 8052;
const HOLD_FLOWS = Number(process.env.HOLD_FLOWS ?? 19_500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
// Connections (each its own thread in the load generator): enough that SO_REUSEPORT spreads
// them over the gateway's workers.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const TARGETS = { throughputGbit: 8, flowsPerSecond: 25_000, perFlowKiB: 2 };
const BASELINE_DIR = process.env.BASELINE_DIR ? resolve(process.env.BASELINE_DIR) : undefined;
const baseline = BASELINE_DIR
  ? await import(join(BASELINE_DIR, 'dist/lab/gateway-lab.js'))
  : undefined;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

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

function buildTools() {
  mkdirSync(TOOLS, { recursive: true });
  const core = ['loop.cc', 'tls.cc', 'h2_transport.cc'].map((f) =>
    join(ROOT, 'src/native/core', f),
  );
  const flags = ['-std=gnu++17', '-O2', '-Wall', '-Wextra'];
  execFileSync('g++', [
    ...flags,
    `-I${join(ROOT, 'src/native/core')}`,
    join(import.meta.dirname, 'loadgen.cc'),
    ...core,
    '-o',
    LOADGEN,
    '-lssl',
    '-lcrypto',
    '-lnghttp2',
    '-lpthread',
  ]);
  execFileSync('g++', [
    ...flags,
    join(import.meta.dirname, 'servers.cc'),
    '-o',
    SERVERS,
    '-lpthread',
  ]);
}

/** Runs in a namespace with the open-files limit raised as far as this machine allows. */
const withFiles = (argv) => [
  'sh',
  '-c',
  'ulimit -n 65536 2>/dev/null || ulimit -n 20000; exec "$@"',
  'sh',
  ...argv,
];

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

/** CPU ticks of each worker thread of the data plane (named psl-worker-N), by name. */
function workerTicks(pid) {
  const out = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!name.startsWith('psl-worker-')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name.slice('psl-'.length)] = Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    // the data plane is gone: no split
  }
  return out;
}

function rssKiB(pid) {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

function childOf(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return Number(children.split(/\s+/)[0]);
}

/**
 * The kernel slab caches an open TCP socket lives in (the socket, its inode, its file, its
 * dentry, its epoll entry), in bytes of active objects. /proc/slabinfo is machine-wide: a held
 * flow adds two sockets here (the gateway's connection to the target and the target's accepted
 * one), so the per-flow delta is divided by two for the gateway's share. Socket buffers of idle
 * flows are empty; /proc/net/sockstat's "mem" counts only those, hence this.
 */
const SLABS = ['TCP', 'sock_inode_cache', 'filp', 'dentry', 'eventpoll_epi'];
function slabBytes() {
  const out = {};
  for (const line of readFileSync('/proc/slabinfo', 'utf8').split('\n')) {
    const [name, active, , size] = line.split(/\s+/);
    if (SLABS.includes(name))
      out[name] = { bytes: Number(active) * Number(size), size: Number(size) };
  }
  return out;
}

let processes = {};

/**
 * RSS per idle flow: HOLD_FLOWS flows held open through a freshly started gateway, the RSS of
 * the process that holds them (the data plane, or the whole gateway for a baseline without
 * one) before and after, and the kernel's slab delta.
 */
async function measureIdleFlows(gw, alice, g) {
  const holderPid = g.dataPlane ?? g.gateway.pid;
  const rssBefore = rssKiB(holderPid);
  const slabBefore = slabBytes();
  const holder = lab.spawn(
    lab.client,
    withFiles([LOADGEN, 'hold', gw, `${LAB.web}:${HOLD_PORT}`, String(HOLD_FLOWS), ...alice]),
  );
  let out = '';
  holder.stdout.on('data', (d) => (out += d));
  await waitFor(
    'the flows to be held',
    () => out.includes('held') || holder.exitCode !== null,
    180_000,
  );
  await new Promise((r) => setTimeout(r, 2000));
  const held = JSON.parse(out.trim().split('\n')[0]);
  const rssAfter = rssKiB(holderPid);
  const slabAfter = slabBytes();
  const controlRss = rssKiB(g.gateway.pid);
  holder.stdin.end();
  await new Promise((r) => holder.once('exit', r));
  return {
    ...held,
    beforeKiB: rssBefore,
    afterKiB: rssAfter,
    perFlowKiB: (rssAfter - rssBefore) / held.held,
    kernelKiBPerFlow: Object.fromEntries(
      SLABS.map((n) => [n, (slabAfter[n].bytes - slabBefore[n].bytes) / 2 / held.held / 1024]),
    ),
    controlPlaneKiB: controlRss,
    slabObjectBytes: Object.fromEntries(SLABS.map((n) => [n, slabAfter[n].size])),
  };
}

/** Runs the load generator; its JSON plus the CPU every process used meanwhile. */
async function measure(argv, timeoutMs) {
  const before = Object.fromEntries(
    Object.entries(processes).map(([k, pid]) => [k, cpuTicks(pid)]),
  );
  const workersBefore = processes.dataPlane ? workerTicks(processes.dataPlane) : {};
  const t0 = process.hrtime.bigint();
  const r = await lab.exec(lab.client, withFiles([LOADGEN, ...argv]), { timeoutMs });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let result;
  try {
    result = JSON.parse(line);
  } catch {
    throw new Error(`loadgen ${argv[0]} printed ${JSON.stringify(r.stdout)} ${r.stderr}`);
  }
  if (result.error) throw new Error(`loadgen ${argv[0]}: ${result.error}`);
  result.cpu = { loadgen: result.cpuSeconds / result.seconds };
  for (const [name, pid] of Object.entries(processes)) {
    result.cpu[name] = (cpuTicks(pid) - before[name]) / TICKS / seconds;
  }
  if (processes.dataPlane) {
    const after = workerTicks(processes.dataPlane);
    result.workers = Object.fromEntries(
      Object.entries(after).map(([k, t]) => [k, (t - (workersBefore[k] ?? 0)) / TICKS / seconds]),
    );
  }
  return result;
}

/** `old`: the baseline checkout's gateway (one process, its own configuration keys). */
async function startGateway(configPath, threads, old = undefined) {
  writeFileSync(
    configPath,
    old
      ? old.exampleConfig(`limits: { streamsPerSession: ${HOLD_FLOWS + 500} }\n`)
      : exampleConfig(
          // Room for every held flow in one session of one user.
          `limits: { streamsPerSession: ${HOLD_FLOWS + 500}, flowsPerUser: ${HOLD_FLOWS + 500}, flowsTotal: ${HOLD_FLOWS + 500} }\ndataPlane: { threads: ${threads} }\n`,
        ),
  );
  let output = '';
  const gateway = lab.spawn(
    lab.gateway,
    withFiles(['node', old?.GATEWAY_CLI ?? GATEWAY_CLI, 'serve', '--config', configPath]),
  );
  gateway.stdout.on('data', (d) => (output += d));
  gateway.stderr.on('data', (d) => (output += d));
  await waitFor(
    'the gateway to listen',
    () => output.includes('listening on') || gateway.exitCode !== null,
    15_000,
  );
  if (gateway.exitCode !== null) throw new Error(`gateway exited: ${output}`);
  return { gateway, output: () => output, dataPlane: old ? undefined : childOf(gateway.pid) };
}

async function stopGateway(g) {
  g.gateway.kill('SIGTERM');
  await new Promise((r) => g.gateway.once('exit', r));
}

async function main() {
  const t0 = Date.now();
  console.log('building the load generator and the servers…');
  buildTools();
  lab = await createLab({ tag: 'bg', gatewayForwards: true });
  // The gateway's own tuning for many short connections to one intranet server
  // (docs/operations.md, "Tuning"): a client that ends its side first (as the load generator
  // does) leaves the gateway's end in TIME_WAIT, and without reuse 60 s of them exhaust the
  // ports towards that server. Namespace-local settings.
  await lab.exec(lab.gateway, ['sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
  await lab.exec(lab.gateway, ['sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535']);
  dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
  makePki(dir, LAB.gatewayPublic); // gw.crt and gw.key beside the configuration
  await writeUsers(dir);
  const configPath = join(dir, 'gateway.yaml');

  const servers = lab.spawn(lab.intranet, withFiles([SERVERS, LAB.web, '2']));
  await new Promise((ok, fail) => {
    servers.stdout.once('data', () => ok());
    servers.once('exit', (code) => fail(new Error(`intranet servers exited with ${code}`)));
  });
  // The kernel-to-kernel reference figure; the lab's teardown kills what it spawned.
  lab.spawn(lab.intranet, ['iperf3', '-s', '-B', LAB.web, '-p', '5201']);

  const gw = `${LAB.gatewayPublic}:443`;
  const alice = ['alice', USERS.alice.password];
  const sink = `${LAB.web}:${SINK_PORT}`;
  const reply = `${LAB.web}:${REPLY_PORT}`;
  const results = {};
  processes = { servers: servers.pid };

  console.log('direct path: throughput and flows…');
  const ip = await lab.exec(lab.client, ['iperf3', '-c', LAB.web, '-p', '5201', '-t', '4', '-J'], {
    timeoutMs: 30_000,
  });
  try {
    results.iperf3Gbit = JSON.parse(ip.stdout).end.sum_received.bits_per_second / 1e9;
  } catch {
    results.iperf3Gbit = NaN;
  }
  results.throughputDirect = await measure(
    ['direct-throughput', sink, String(SECONDS), '1'],
    90_000,
  );
  results.flowsDirect = await measure(
    ['direct-flows', reply, String(SECONDS), String(CONCURRENCY), String(CONNECTIONS)],
    90_000,
  );

  if (baseline) {
    console.log(`baseline gateway (${BASELINE_DIR}): throughput, flows, RSS per idle flow…`);
    let b = await startGateway(configPath, 0, baseline);
    processes = { servers: servers.pid, control: b.gateway.pid };
    results.baseline = {
      throughput: await measure(['throughput', gw, sink, String(SECONDS), '1', ...alice], 90_000),
      flows: await measure(
        ['flows', gw, reply, String(SECONDS), String(CONCURRENCY), String(CONNECTIONS), ...alice],
        90_000,
      ),
    };
    await stopGateway(b);
    b = await startGateway(configPath, 0, baseline);
    processes = { servers: servers.pid, control: b.gateway.pid };
    results.baseline.hold = await measureIdleFlows(gw, alice, b);
    await stopGateway(b);
  }

  let g = await startGateway(configPath, 0);
  processes = { servers: servers.pid, control: g.gateway.pid, dataPlane: g.dataPlane };
  console.log('through the gateway (one worker per CPU): throughput, flows…');
  results.throughputGateway = await measure(
    ['throughput', gw, sink, String(SECONDS), '1', ...alice],
    90_000,
  );
  results.flowsGateway = await measure(
    ['flows', gw, reply, String(SECONDS), String(CONCURRENCY), String(CONNECTIONS), ...alice],
    90_000,
  );

  console.log(`data-plane RSS at ${HOLD_FLOWS} idle flows…`);
  // A fresh data plane: what the figures above allocated and freed stays in malloc's arenas
  // and would hide part of the flows' memory (deltas of 0.1 to 0.9 KiB per flow otherwise).
  await stopGateway(g);
  g = await startGateway(configPath, 0);
  processes = { servers: servers.pid, control: g.gateway.pid, dataPlane: g.dataPlane };
  results.hold = await measureIdleFlows(gw, alice, g);
  await stopGateway(g);

  console.log(`scaling: ${CONNECTIONS} connections with one worker thread, then two…`);
  results.scaling = {};
  for (const threads of [1, 2]) {
    g = await startGateway(configPath, threads);
    processes = { servers: servers.pid, control: g.gateway.pid, dataPlane: g.dataPlane };
    results.scaling[threads] = {
      throughput: await measure(
        ['throughput', gw, sink, String(SECONDS), String(CONNECTIONS), ...alice],
        90_000,
      ),
      flows: await measure(
        ['flows', gw, reply, String(SECONDS), String(CONCURRENCY), String(CONNECTIONS), ...alice],
        90_000,
      ),
    };
    await stopGateway(g);
  }

  printTable(results);
  console.log(
    `\n(lab run took ${Math.round((Date.now() - t0) / 1000)} s; raw: ${JSON.stringify(results)})`,
  );
}

function printTable(r) {
  const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const mark = (ok) => (ok ? 'yes' : 'NO');
  const cpu = (m) =>
    Object.entries(m.cpu)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(', ') +
    (m.workers && Object.keys(m.workers).length > 1
      ? ` (${Object.entries(m.workers)
          .map(([k, v]) => `${k} ${f(v)}`)
          .join(', ')})`
      : '');
  const rows = [
    [
      'figure',
      'direct',
      'baseline',
      'gateway',
      'gateway/direct',
      'gateway/baseline',
      'target',
      'met',
    ],
    [
      'single-flow TCP (Gbit/s)',
      f(r.throughputDirect.gbitPerSecond),
      f(r.baseline?.throughput.gbitPerSecond),
      f(r.throughputGateway.gbitPerSecond),
      f(r.throughputGateway.gbitPerSecond / r.throughputDirect.gbitPerSecond),
      f(r.throughputGateway.gbitPerSecond / r.baseline?.throughput.gbitPerSecond),
      `>= ${TARGETS.throughputGbit}`,
      mark(r.throughputGateway.gbitPerSecond >= TARGETS.throughputGbit),
    ],
    [
      'new TCP flows per second',
      f(r.flowsDirect.perSecond, 0),
      f(r.baseline?.flows.perSecond, 0),
      f(r.flowsGateway.perSecond, 0),
      f(r.flowsGateway.perSecond / r.flowsDirect.perSecond),
      f(r.flowsGateway.perSecond / r.baseline?.flows.perSecond),
      `>= ${TARGETS.flowsPerSecond}`,
      mark(r.flowsGateway.perSecond >= TARGETS.flowsPerSecond && r.flowsGateway.failed === 0),
    ],
    [
      `RSS per idle flow at ${r.hold.held} flows (KiB)`,
      '-',
      f(r.baseline?.hold.perFlowKiB, 2),
      f(r.hold.perFlowKiB, 2),
      '-',
      f(r.hold.perFlowKiB / r.baseline?.hold.perFlowKiB),
      `<= ${TARGETS.perFlowKiB}`,
      mark(r.hold.perFlowKiB <= TARGETS.perFlowKiB && r.hold.failed === 0),
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
  console.log(`\nCPU (cores busy) during each figure:`);
  console.log(`  throughput direct:  ${cpu(r.throughputDirect)}`);
  console.log(`  throughput gateway: ${cpu(r.throughputGateway)}`);
  console.log(`  flows direct:       ${cpu(r.flowsDirect)}`);
  console.log(`  flows gateway:      ${cpu(r.flowsGateway)}`);
  if (r.baseline) {
    console.log(`  throughput baseline: ${cpu(r.baseline.throughput)}`);
    console.log(`  flows baseline:      ${cpu(r.baseline.flows)}`);
    console.log(
      `  baseline: ${r.baseline.flows.flows} flows (${r.baseline.flows.failed} failed); RSS ` +
        `${r.baseline.hold.beforeKiB} KiB before, ${r.baseline.hold.afterKiB} KiB with ` +
        `${r.baseline.hold.held} idle flows (${r.baseline.hold.failed} failed)`,
    );
  }
  console.log(
    `\niperf3 on the direct path (kernel to kernel, for reference): ${f(r.iperf3Gbit)} Gbit/s`,
  );
  console.log(
    `flows: direct ${r.flowsDirect.flows} in ${f(r.flowsDirect.seconds, 1)} s (${r.flowsDirect.failed} failed), ` +
      `gateway ${r.flowsGateway.flows} in ${f(r.flowsGateway.seconds, 1)} s (${r.flowsGateway.failed} failed)`,
  );
  console.log(
    `data plane RSS ${r.hold.beforeKiB} KiB before, ${r.hold.afterKiB} KiB with ${r.hold.held} idle flows ` +
      `(${r.hold.failed} failed); control plane RSS ${r.hold.controlPlaneKiB} KiB`,
  );
  const slabs = Object.entries(r.hold.kernelKiBPerFlow);
  console.log(
    `kernel slab per flow (half of the machine-wide delta: the target's end is the other half): ` +
      slabs.map(([n, k]) => `${n} ${f(k, 2)}`).join(', ') +
      ` = ${f(
        slabs.reduce((a, [, k]) => a + k, 0),
        2,
      )} KiB`,
  );
  // On paper: one object of each cache per socket. The measured delta above is a check (SLUB's
  // active counts lag behind when freed objects of earlier sockets are reused).
  const kernelPerFlow = Object.values(r.hold.slabObjectBytes).reduce((a, b) => a + b, 0) / 1024;
  console.log(
    `kernel objects per socket (sizes from /proc/slabinfo): ` +
      Object.entries(r.hold.slabObjectBytes)
        .map(([n, b]) => `${n} ${b} B`)
        .join(' + ') +
      ` = ${f(kernelPerFlow, 2)} KiB`,
  );
  console.log(
    `100,000 flows on paper: data plane ${f((r.hold.perFlowKiB * 100_000) / 1024, 0)} MiB above its ` +
      `${f(r.hold.beforeKiB / 1024, 0)} MiB at rest, kernel ${f((kernelPerFlow * 100_000) / 1024, 0)} MiB of ` +
      `socket objects, 100,000 descriptors (LimitNOFILE), source ports: see docs/gateway-dataplane.md`,
  );
  const s1 = r.scaling[1];
  const s2 = r.scaling[2];
  console.log(`\nscaling over ${CONNECTIONS} connections, one worker thread vs two:`);
  console.log(
    `  throughput: ${f(s1.throughput.gbitPerSecond)} -> ${f(s2.throughput.gbitPerSecond)} Gbit/s ` +
      `(x${f(s2.throughput.gbitPerSecond / s1.throughput.gbitPerSecond)}); data plane CPU ${f(s1.throughput.cpu.dataPlane)} -> ${f(s2.throughput.cpu.dataPlane)}`,
  );
  console.log(
    `  flows/s:    ${f(s1.flows.perSecond, 0)} -> ${f(s2.flows.perSecond, 0)} ` +
      `(x${f(s2.flows.perSecond / s1.flows.perSecond)}); data plane CPU ${f(s1.flows.cpu.dataPlane)} -> ${f(s2.flows.cpu.dataPlane)}`,
  );
  // What one data-plane core does, and how the work splits: on two cores shared with the load
  // generator and the servers the end-to-end figure cannot double, the per-core rate and the
  // split show whether the data plane itself would.
  for (const [threads, s] of Object.entries(r.scaling)) {
    console.log(
      `  ${threads} worker(s): ${f(s.throughput.gbitPerSecond / s.throughput.cpu.dataPlane)} Gbit/s ` +
        `and ${f(s.flows.perSecond / s.flows.cpu.dataPlane, 0)} flows/s per data-plane core; ` +
        `throughput CPU ${cpu(s.throughput)}; flows CPU ${cpu(s.flows)}`,
    );
  }
}

try {
  await main();
} catch (err) {
  console.error(`bench:gateway failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
