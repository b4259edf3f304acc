// `npm run bench:engine`: what the client engine itself costs, in the netns lab: its CPU time
// per connection (ab), per Gbit/s (iperf3 each way), and the time of a short request on an
// idle machine (curl every 0.3 s), with the gateway's CPU beside it. CPU comes from
// /proc/<pid>/task/*/schedstat (nanoseconds, every thread of the process). When the engine
// has a native data plane it also reports the engine's own part of each connection, each way
// (src/native/client/stats.h, latency-…). A benchmark, not a test: it prints, asserts nothing.
//
// Run it from two checkouts one after the other for before/after figures in the same run
// (see docs/architecture.md). Knobs: AB_N (10000), T_BULK (s, 8), CURL_N (50), WARMUP (3000),
// LABEL (printed), CLIENT_ARGS (extra client CLI arguments).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createGatewayLab, exampleConfig } from '../dist/lab/gateway-lab.js';
import { startClient } from '../dist/lab/client-runner.js';
import { LAB } from '../dist/lab/netns.js';

const AB_N = Number(process.env.AB_N ?? 10000);
const T_BULK = Number(process.env.T_BULK ?? 8);
const CURL_N = Number(process.env.CURL_N ?? 50);
const WARMUP = Number(process.env.WARMUP ?? 3000);
const LABEL = process.env.LABEL ?? 'passerelle';
const HTTP = `http://${LAB.web}:8080/`;

const CONFIG = exampleConfig('')
  .replace(
    /resources:\n/,
    `resources:\n  - { name: bench, address: 198.18.0.10/32, ports: [5201, 8080], protocols: [tcp, udp] }\n`,
  )
  .replace('allow: [web, dns, ping, echo]', 'allow: [web, dns, ping, echo, bench]');

/** CPU time of every thread of `pid`, in nanoseconds. */
function cpuNs(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return total;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}

async function stats(client) {
  const before = client.output().length;
  client.child.kill('SIGUSR1');
  for (let i = 0; i < 100; i++) {
    const line = client
      .output()
      .slice(before)
      .split('\n')
      .find((l) => l.includes('"kind":"stats"'));
    if (line) return JSON.parse(line);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {};
}

async function main() {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: the benchmark builds network namespaces');
  const g = await createGatewayLab({ tag: 'ec', config: CONFIG });
  const sh = (argv, timeoutMs = 300_000) => g.lab.exec(g.lab.client, argv, { timeoutMs });
  try {
    g.lab.spawn(g.lab.intranet, ['iperf3', '-s', '-B', LAB.web]);
    const client = startClient(g, {
      extraArgs: process.env.CLIENT_ARGS ? process.env.CLIENT_ARGS.split(' ') : [],
    });
    await client.waitForState('connected');
    const engine = client.child.pid;
    const gateway = g.gateway.pid;
    const measure = async (run) => {
      const e0 = cpuNs(engine);
      const g0 = cpuNs(gateway);
      const t0 = process.hrtime.bigint();
      const result = await run();
      return {
        result,
        engineNs: cpuNs(engine) - e0,
        gatewayNs: cpuNs(gateway) - g0,
        wallNs: Number(process.hrtime.bigint() - t0),
      };
    };
    const row = { label: LABEL };
    await sh(['ab', '-q', '-n', String(WARMUP), '-c', '20', HTTP]);

    // PERF=file: the engine's profile during the connection phase (perf record -g); with
    // PERF_PHASE=up, down or idle, during the upload, the download or the idle requests.
    const startPerf = () =>
      spawn('perf', ['record', '-F', '20000', '-g', '-p', String(engine), '-o', process.env.PERF], {
        stdio: 'ignore',
      });
    let perf = process.env.PERF && !process.env.PERF_PHASE ? startPerf() : undefined;
    const conn = await measure(async () => {
      const ab = await sh(['ab', '-q', '-n', String(AB_N), '-c', '20', HTTP]);
      perf?.kill('SIGINT');
      return Number(/Requests per second:\s+([\d.]+)/.exec(ab.stdout)?.[1]);
    });
    row.connPerSec = conn.result;
    row.engineUsPerConn = conn.engineNs / AB_N / 1000;
    row.gatewayUsPerConn = conn.gatewayNs / AB_N / 1000;

    for (const [key, extra] of [
      ['up', []],
      ['down', ['-R']],
    ]) {
      const bulk = await measure(async () => {
        if (process.env.PERF && process.env.PERF_PHASE === key) perf = startPerf();
        const r = await sh(['iperf3', '-c', LAB.web, '-J', '-t', String(T_BULK), ...extra]);
        if (process.env.PERF_PHASE === key) perf?.kill('SIGINT');
        return JSON.parse(r.stdout).end.sum_received.bits_per_second;
      });
      const gbits = (bulk.result * (bulk.wallNs / 1e9)) / 1e9;
      row[`${key}Mbps`] = bulk.result / 1e6;
      // CPU milliseconds per gigabit carried (= CPU ms per second at 1 Gbit/s).
      row[`${key}EngineMsPerGbit`] = bulk.engineNs / 1e6 / gbits;
      row[`${key}GatewayMsPerGbit`] = bulk.gatewayNs / 1e6 / gbits;
    }

    // Short requests during a bulk upload, then a bulk download (a new flow must not wait
    // behind a bulk one).
    for (const [key, extra] of [
      ['loadedRequestMs', []],
      ['loadedDownRequestMs', ['-R']],
    ]) {
      const bulk = g.lab.spawn(g.lab.client, ['iperf3', '-c', LAB.web, '-t', '8', ...extra]);
      await new Promise((r) => setTimeout(r, 1500));
      const loaded = [];
      for (let i = 0; i < 15; i++) {
        const r = await sh(['curl', '-s', '-o', '/dev/null', '-w', '%{time_total}', HTTP]);
        loaded.push(Number(r.stdout) * 1000);
        await new Promise((res) => setTimeout(res, 200));
      }
      row[key] = median(loaded);
      await new Promise((r) => bulk.once('exit', r));
    }
    if (process.env.PERF && process.env.PERF_PHASE === 'idle') perf = startPerf();
    // One request at a time, 0.3 s apart; the engine's counters are read around each one, so
    // each part is a sample of its own (medians: robust to a busy neighbour's preemptions).
    const times = [];
    const parts = { 'connect-up': [], 'connect-down': [], 'data-up': [], 'data-down': [] };
    let previous = await stats(client);
    for (let i = 0; i < CURL_N; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const r = await sh(['curl', '-s', '-o', '/dev/null', '-w', '%{time_total}', HTTP]);
      times.push(Number(r.stdout) * 1000);
      const now = await stats(client);
      for (const [part, samples] of Object.entries(parts)) {
        const delta = (name) => (now.dataPlane?.[name] ?? 0) - (previous.dataPlane?.[name] ?? 0);
        const count = delta(`latency-${part}-count`);
        if (count > 0) samples.push(delta(`latency-${part}-ns`) / count / 1000);
      }
      previous = now;
    }
    perf?.kill('SIGINT');
    row.idleRequestMs = median(times);
    for (const [part, samples] of Object.entries(parts)) {
      row[`${part}Us`] = median(samples);
      row[`${part}P90Us`] = [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.9)];
    }
    client.child.kill('SIGTERM');
    await client.exited;
    if (process.env.DUMP_CLIENT) console.error(client.output());
    console.log(JSON.stringify(row));
    const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
    console.error(
      `${LABEL}: ${f(row.engineUsPerConn)} µs engine CPU per connection (gateway ${f(row.gatewayUsPerConn)}), ` +
        `${f(row.connPerSec, 0)} conn/s; up ${f(row.upMbps, 0)} Mbit/s at ${f(row.upEngineMsPerGbit)} engine ms/Gbit ` +
        `(gateway ${f(row.upGatewayMsPerGbit)}); down ${f(row.downMbps, 0)} Mbit/s at ${f(row.downEngineMsPerGbit)} ` +
        `(gateway ${f(row.downGatewayMsPerGbit)}); idle short request ${f(row.idleRequestMs, 2)} ms, during an ` +
        `upload ${f(row.loadedRequestMs, 2)} ms, a download ${f(row.loadedDownRequestMs, 2)} ms; engine part ` +
        `connect up/down ${f(row['connect-upUs'])}/${f(row['connect-downUs'])} µs, data up/down ` +
        `${f(row['data-upUs'])}/${f(row['data-downUs'])} µs (median; 90th percentile ${f(row['connect-upP90Us'])}/` +
        `${f(row['connect-downP90Us'])}/${f(row['data-upP90Us'])}/${f(row['data-downP90Us'])} µs)`,
    );
  } finally {
    await g.down();
  }
}

main().catch((err) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
