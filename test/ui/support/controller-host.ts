// The desktop controller with the REAL tunnel engine, as a child process the UI lab test starts
// inside the lab's client namespace (the engine creates its TUN, routes and DNS there). The
// renderer's IPC is relayed over stdio as JSON lines (see host-protocol.ts); logs go to stderr.
// The controller is built as in harness.ts (settings and autostart in a temporary folder, an
// in-memory credential store), only the engine differs. Bundled by lab-app.ts with esbuild.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { XdgAutostart } from '../../../src/main/controller/autostart.js';
import { AppController } from '../../../src/main/controller/controller.js';
import { MemoryCredentialStore } from '../../../src/main/controller/keychain.js';
import { SettingsStore } from '../../../src/main/controller/settings.js';
import { createEngine } from '../../../src/main/engine/index.js';
import { registerHandlers, type IpcResult, type MainTransport } from '../../../src/shared/ipc.js';
import { ipcSchema } from '../../../src/shared/ipc-schema.js';
import {
  HOST_ENGINE_CHANNEL,
  type EngineView,
  type HostLine,
  type HostRequest,
} from './host-protocol.js';

// stdout carries the protocol only: anything else that prints goes to stderr.
console.log = console.info = console.debug = console.error;

function send(line: HostLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function logLine(text: string): void {
  process.stderr.write(`[controller-host] ${text}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'passerelle-ui-host-'));
// The engine's crash-recovery records go to a folder of this process, not /run/passerelle:
// other labs may run an engine with the same TUN name at the same time, in other namespaces.
const engine = createEngine({ stateDir: join(dir, 'state') });
const controller = await AppController.create({
  engine,
  settings: new SettingsStore(join(dir, 'settings.json')),
  credentials: new MemoryCredentialStore(),
  autostart: new XdgAutostart({
    execPath: '/opt/Passerelle/passerelle-desktop',
    configHome: join(dir, 'config'),
  }),
  osLocale: 'en-GB',
  version: '0.1.0',
  platform: 'linux',
  showNotification: (n) => logLine(`notification: ${n.title}: ${n.body}`),
});
controller.log.onLine((line) => logLine(`${line.level}: ${line.message}`));

const handlers = new Map<string, (request: unknown) => Promise<IpcResult<unknown>>>();
const transport: MainTransport = {
  handle: (channel, handler) => void handlers.set(channel, handler),
  send: (channel, payload) => send({ notify: channel, payload }),
};
controller.attachRenderer(registerHandlers(ipcSchema, transport, controller.handlers()));

async function answer(channel: string, request: unknown): Promise<IpcResult<unknown>> {
  if (channel === HOST_ENGINE_CHANNEL) {
    const value: EngineView = {
      state: engine.state(),
      stats: engine.stats(),
      resources: engine.resources(),
    };
    return { type: 'success', value };
  }
  const handler = handlers.get(channel);
  if (!handler)
    return { type: 'error', error: { message: `no handler for ${channel}`, code: 'ipc' } };
  return handler(request);
}

let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logLine(`stopping (${why})`);
  try {
    await controller.shutdown(5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }
}

createInterface({ input: process.stdin })
  .on('line', (text) => {
    let message: HostRequest;
    try {
      message = JSON.parse(text) as HostRequest;
    } catch {
      logLine(`ignored a line that is not JSON: ${text.slice(0, 100)}`);
      return;
    }
    answer(message.channel, message.request).then(
      (result) => send({ id: message.id, result }),
      (err: unknown) =>
        send({
          id: message.id,
          result: { type: 'error', error: { message: String(err), code: 'internal' } },
        }),
    );
  })
  .on('close', () => void stop('stdin closed'));
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

send({ ready: true, pid: process.pid });
logLine(`ready, pid ${process.pid}`);
