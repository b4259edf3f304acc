// The benchmark's client, run in the lab's client namespace. One measurement per run, printed
// as one JSON line:
//   node client.js MODE JSON_ARGS
// MODE: throughput | flows | hold. args.via is "gateway" (HTTP/2 CONNECT through the gateway:
// args.url, args.ca, args.username, args.password) or "direct" (plain TCP, routed by the
// gateway namespace's kernel). Every loop is bounded in count and in time.
import { readFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { connect as tcpConnect } from 'node:net';

const [mode, argsJson] = process.argv.slice(2);
const args = JSON.parse(argsJson ?? '{}');
const STREAM_WINDOW = 8 * 1024 * 1024;
const CONNECTION_WINDOW = 64 * 1024 * 1024;

let session;

function openSession() {
  return new Promise((resolve, reject) => {
    const s = h2connect(args.url, {
      ca: readFileSync(args.ca),
      settings: { initialWindowSize: STREAM_WINDOW, enableConnectProtocol: false },
      peerMaxConcurrentStreams: 100_000,
      maxSessionMemory: 1024,
    });
    s.once('error', reject);
    s.once('connect', () => {
      s.setLocalWindowSize(CONNECTION_WINDOW);
      resolve(s);
    });
  });
}

function login() {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/api/v1/sessions',
      'content-type': 'application/json',
    });
    const chunks = [];
    stream.on('data', (d) => chunks.push(d));
    stream.on('error', reject);
    stream.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString()).token);
      } catch (err) {
        reject(err);
      }
    });
    stream.end(JSON.stringify({ username: args.username, password: args.password }));
  });
}

/** Opens one tunnel; resolves with a duplex once the target accepted. */
function openFlow(token, host, port) {
  if (args.via === 'direct') {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host, port, allowHalfOpen: true, noDelay: true });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  }
  return new Promise((resolve, reject) => {
    const stream = session.request(
      { ':method': 'CONNECT', ':authority': `${host}:${port}`, authorization: `Bearer ${token}` },
      { endStream: false },
    );
    stream.once('response', (h) => {
      if (h[':status'] === 200) resolve(stream);
      else {
        stream.close();
        reject(new Error(`CONNECT ${h[':status']} ${h['proxy-status'] ?? ''}`));
      }
    });
    stream.once('error', reject);
    stream.once('close', () => reject(new Error(`stream closed (${stream.rstCode})`)));
  });
}

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function throughput(token) {
  // Sends for args.seconds, then half-closes; the sink answers with the bytes it received.
  const flow = await openFlow(token, args.host, args.port);
  const chunk = Buffer.alloc(256 * 1024, 0x5a);
  const started = process.hrtime.bigint();
  const until = Date.now() + args.seconds * 1000;
  let sent = 0;
  await new Promise((resolve) => {
    const pump = () => {
      while (Date.now() < until) {
        sent += chunk.length;
        if (!flow.write(chunk)) return void flow.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
  const counted = await new Promise((resolve, reject) => {
    const parts = [];
    const timer = setTimeout(() => reject(new Error('no byte count from the sink')), 30_000);
    flow.on('data', (d) => parts.push(d));
    flow.once('end', () => {
      clearTimeout(timer);
      resolve(Number(Buffer.concat(parts).readBigUInt64BE(0)));
    });
    flow.end();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (counted !== sent) throw new Error(`sink counted ${counted} bytes, ${sent} were sent`);
  return { bytes: counted, seconds, gbitPerSecond: (counted * 8) / seconds / 1e9 };
}

async function oneFlow(token) {
  const flow = await openFlow(token, args.host, args.port);
  return new Promise((resolve, reject) => {
    const parts = [];
    flow.on('data', (d) => parts.push(d));
    flow.once('error', reject);
    flow.once('end', () => {
      const text = Buffer.concat(parts).toString();
      if (!text.startsWith('HTTP/1.1 200') || !text.endsWith('ok'))
        reject(new Error(`bad reply ${text}`));
      else resolve();
      // Both halves ended: the stream closes by itself. No RST_STREAM: nghttp2 ends a
      // connection that receives more than 1,000 of them in a burst (rapid-reset guard).
    });
    flow.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

async function flows(token) {
  // args.count flows, args.concurrency at a time, stopped at args.seconds whatever the count.
  const until = Date.now() + args.seconds * 1000;
  let started = 0;
  let done = 0;
  let failed = 0;
  let firstError;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (started < args.count && Date.now() < until) {
      started++;
      try {
        await oneFlow(token);
        done++;
      } catch (err) {
        failed++;
        firstError ??= err.message;
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { flows: done, failed, firstError, seconds, perSecond: done / seconds };
}

async function hold(token) {
  // RSS of the gateway before and after args.count idle CONNECT streams.
  for (let i = 0; i < 50; i++) await (await openFlow(token, args.host, args.port)).close();
  await sleep(1000);
  const before = rssKiB(args.pid);
  const until = Date.now() + args.seconds * 1000;
  const flowsOpen = [];
  let failed = 0;
  let firstError;
  const batch = 500;
  for (let i = 0; i < args.count && Date.now() < until; i += batch) {
    const opened = await Promise.allSettled(
      Array.from({ length: Math.min(batch, args.count - i) }, () =>
        openFlow(token, args.host, args.port),
      ),
    );
    for (const r of opened) {
      if (r.status === 'fulfilled') flowsOpen.push(r.value);
      else {
        failed++;
        firstError ??= r.reason.message;
      }
    }
  }
  await sleep(2000);
  const after = rssKiB(args.pid);
  for (const f of flowsOpen) f.close();
  return {
    held: flowsOpen.length,
    failed,
    firstError,
    beforeKiB: before,
    afterKiB: after,
    perFlowKiB: (after - before) / flowsOpen.length,
  };
}

const MODES = { throughput, flows, hold };

async function main() {
  const run = MODES[mode];
  if (!run) throw new Error(`unknown mode ${mode}`);
  let token;
  if (args.via !== 'direct') {
    session = await openSession();
    session.on('error', () => undefined);
    token = await login();
  }
  return run(token);
}

const watchdog = setTimeout(
  () => {
    console.log(JSON.stringify({ error: 'watchdog: the measurement took too long' }));
    process.exit(3);
  },
  (args.seconds + 60) * 1000,
);
main().then(
  (result) => {
    console.log(JSON.stringify(result));
    clearTimeout(watchdog);
    session?.close();
    setTimeout(() => process.exit(0), 200).unref();
  },
  (err) => {
    console.log(JSON.stringify({ error: err.stack ?? String(err) }));
    process.exit(2);
  },
);
