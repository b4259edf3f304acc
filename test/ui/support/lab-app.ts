// The UI against the real thing: the controller with the real engine runs in a child process
// (controller-host.ts) inside the lab's client namespace, where the engine may create its TUN,
// routes and DNS; this process and Chromium stay in the root namespace. The page's
// window.passerelle is relayed to the host over its stdio as JSON lines (host-protocol.ts).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { GatewayLab } from '../../../src/lab/gateway-lab.js';
import type { IpcResult } from '../../../src/shared/ipc.js';
import { openBridgedPage } from './harness.js';
import {
  HOST_ENGINE_CHANNEL,
  type EngineView,
  type HostLine,
  type HostRequest,
} from './host-protocol.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
/** Under the package root, so that src/native/index.ts finds the addon from the bundle. */
const HOST_OUT_DIR = join(ROOT, 'test-artifacts', 'ui-host');
export const HOST_BUNDLE = join(HOST_OUT_DIR, 'controller-host.mjs');

/** Bundles controller-host.ts for plain Node; node_modules stay outside the bundle. */
export async function bundleControllerHost(): Promise<string> {
  mkdirSync(HOST_OUT_DIR, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'controller-host.ts')],
    outfile: HOST_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    external: ['electron', 'keytar'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  if (!existsSync(join(ROOT, 'package.json')))
    throw new Error(`the host bundle must live under the package root ${ROOT}`);
  return HOST_BUNDLE;
}

export interface ControllerHost {
  /** The host's PID (`ip netns exec` replaces itself with node: the PID of our child). */
  readonly pid: number;
  /** Relays one invoke of the IPC schema; resolves with the IpcResult. */
  invoke(channel: string, request: unknown): Promise<IpcResult<unknown>>;
  /** Receives the host's main → renderer notifications. */
  onNotify(listener: (channel: string, payload: unknown) => void): void;
  /** The engine's own state, stats and resources (what the gateway sent). */
  engine(): Promise<EngineView>;
  /** What the host wrote on stderr (its log). */
  log(): string;
  /** SIGTERM by PID (the host disconnects the engine), then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/** `prefix` comes before `node` (e.g. setpriv to run as another user, env for variables). */
export async function startControllerHost(
  g: GatewayLab,
  bundle: string,
  prefix: string[] = [],
): Promise<ControllerHost> {
  const child: ChildProcess = g.lab.spawn(g.lab.client, [
    ...prefix,
    'node',
    '--enable-source-maps',
    bundle,
  ]);
  const pid = child.pid;
  if (pid === undefined || !child.stdin || !child.stdout || !child.stderr)
    throw new Error('the controller host did not start');
  const stdin = child.stdin;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let nextId = 1;
  const pending = new Map<
    number,
    { resolve(r: IpcResult<unknown>): void; reject(e: Error): void }
  >();
  const listeners = new Set<(channel: string, payload: unknown) => void>();
  let ready: (hostPid: number) => void = () => undefined;
  const readyPid = new Promise<number>((resolve) => (ready = resolve));

  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: HostLine;
    try {
      line = JSON.parse(text) as HostLine;
    } catch {
      stderr += `[not a protocol line] ${text}\n`;
      return;
    }
    if ('ready' in line) ready(line.pid);
    else if ('notify' in line)
      for (const listener of listeners) listener(line.notify, line.payload);
    else {
      pending.get(line.id)?.resolve(line.result);
      pending.delete(line.id);
    }
  });
  void exited.then(() => {
    for (const { reject } of pending.values())
      reject(new Error(`the controller host exited; its log:\n${stderr}`));
    pending.clear();
  });

  const hostPid = await Promise.race([
    readyPid,
    exited.then(() => {
      throw new Error(`the controller host exited before it was ready; its log:\n${stderr}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the controller host is not ready:\n${stderr}`)), 20_000),
    ),
  ]);
  if (hostPid !== pid) {
    process.kill(pid, 'SIGKILL');
    throw new Error(`the host runs as PID ${hostPid}, not as our child ${pid}: stopped`);
  }

  const invoke = (channel: string, request: unknown) =>
    new Promise<IpcResult<unknown>>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null)
        return reject(new Error(`the controller host has exited; its log:\n${stderr}`));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const message: HostRequest = { id, channel, request };
      stdin.write(`${JSON.stringify(message)}\n`);
    });

  return {
    pid,
    invoke,
    onNotify: (listener) => void listeners.add(listener),
    async engine() {
      const result = await invoke(HOST_ENGINE_CHANNEL, null);
      if (result.type === 'error') throw new Error(result.error.message);
      return result.value as EngineView;
    },
    log: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const lingered = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 10_000))),
      ]);
      clearTimeout(timer);
      if (lingered && child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

export interface LabAppPage {
  page: Page;
  /** Console errors, page errors and CSP violations seen in the page. */
  problems: string[];
  close(): Promise<void>;
}

/** Opens the renderer with window.passerelle relayed to `host`. */
export async function openLabApp(
  browser: Browser,
  url: string,
  host: ControllerHost,
): Promise<LabAppPage> {
  const bridged = await openBridgedPage(browser, url, (channel, request) =>
    host.invoke(channel, request),
  );
  host.onNotify((channel, payload) => bridged.dispatch(channel, payload));
  return { page: bridged.page, problems: bridged.problems, close: () => bridged.close() };
}
