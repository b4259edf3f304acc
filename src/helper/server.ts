// The privileged helper (docs/desktop.md, "Privilege"): the only Passerelle process that holds
// CAP_NET_ADMIN. It listens on a Unix socket, identifies each caller by SO_PEERCRED, and does
// for it exactly five things (helper-protocol.ts): create a TUN device owned by the caller,
// set up addresses, routes and DNS on that device, put the gateway's host route or the
// intranet DNS back, and undo all of it. A connection may act only on the device it was given;
// everything is undone when the connection closes, whatever the reason (the app quit or
// crashed). No tunnel traffic and no credentials ever reach it. Every request is logged.
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { recoverStale } from '../main/engine/netconfig/recover.js';
import { createRunner, type Runner } from '../main/engine/netconfig/run.js';
import { NetworkSetup, type AppliedSetup } from '../main/engine/netconfig/setup.js';
import type { PeerCredentials } from '../native/unix-peer.js';
import {
  describeIssue,
  helperRequestSchema,
  MAX_CONNECTIONS_PER_USER,
  MAX_DEVICES_PER_CONNECTION,
  MAX_MESSAGE_BYTES,
  type HelperErrorCode,
  type HelperRequest,
  type HelperResponse,
} from '../shared/helper-protocol.js';
import { LineSplitter } from '../shared/line-splitter.js';
import { DeviceError, DeviceManager } from './devices.js';

export interface HelperServerOptions {
  socketPath: string;
  /** Crash-repair records (network state and devices); a folder only the helper writes. */
  stateDir: string;
  /** Reads a connection's peer credentials (SO_PEERCRED through the addon). */
  credentials: (socket: Socket) => PeerCredentials;
  log: (line: string) => void;
  run?: Runner;
  resolvConfPath?: string;
  dnsMode?: 'auto' | 'resolved' | 'resolvconf';
  /** All connections at once, whoever holds them. */
  maxConnections?: number;
}

/** A failure to report to the caller with its code. */
class RequestError extends Error {
  constructor(
    readonly code: HelperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface HeldDevice {
  name: string;
  setup: AppliedSetup | null;
}

interface Caller {
  credentials: PeerCredentials;
  socket: Socket;
  devices: Map<string, HeldDevice>;
  /** Requests run one at a time, in order; undo on close waits for the one under way. */
  work: Promise<void>;
  closed: boolean;
}

export class HelperServer {
  private readonly run: Runner;
  private readonly devices: DeviceManager;
  private readonly callers = new Set<Caller>();
  /** Which connection holds each device name. */
  private readonly owners = new Map<string, Caller>();
  private server: Server | null = null;

  constructor(private readonly options: HelperServerOptions) {
    this.run = options.run ?? createRunner();
    this.devices = new DeviceManager({
      run: this.run,
      recordDir: join(options.stateDir, 'devices'),
      log: options.log,
    });
  }

  private get networkDir(): string {
    return join(this.options.stateDir, 'network');
  }

  /** Repairs what a previous helper process left, then listens (socket mode 0666). */
  async start(): Promise<void> {
    const recovery = await recoverStale(this.networkDir, { run: this.run, log: this.options.log });
    for (const entry of recovery.recovered)
      this.options.log(`repaired ${entry.tunName} left by a previous helper`);
    for (const error of recovery.errors) this.options.log(`repair failed: ${error.message}`);
    for (const name of await this.devices.removeLeftovers())
      this.options.log(`deleted the leftover device ${name}`);

    await mkdir(dirname(this.options.socketPath), { recursive: true, mode: 0o755 });
    await unlink(this.options.socketPath).catch(() => undefined);
    const server = createServer({ allowHalfOpen: false }, (socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections ?? 256;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.socketPath, () => resolve());
    });
    // Any local user may ask; what each may do is decided per request from its uid.
    await chmod(this.options.socketPath, 0o666);
    this.server = server;
    this.options.log(`listening on ${this.options.socketPath} (node ${process.version})`);
  }

  /** Stops listening and undoes everything for every connection. */
  async close(): Promise<void> {
    this.server?.close();
    this.server = null;
    await Promise.all([...this.callers].map((caller) => this.drop(caller, 'the helper stops')));
    await unlink(this.options.socketPath).catch(() => undefined);
  }

  private accept(socket: Socket): void {
    let credentials: PeerCredentials;
    try {
      credentials = this.options.credentials(socket);
    } catch (err) {
      this.options.log(`refused a connection without credentials: ${(err as Error).message}`);
      socket.destroy();
      return;
    }
    const who = `uid ${credentials.uid} pid ${credentials.pid}`;
    const open = [...this.callers].filter((c) => c.credentials.uid === credentials.uid).length;
    if (open >= MAX_CONNECTIONS_PER_USER) {
      this.options.log(`${who}: refused: already ${open} connections for this user`);
      this.reply(socket, {
        id: null,
        ok: false,
        error: {
          code: 'refused',
          message: `at most ${MAX_CONNECTIONS_PER_USER} connections per user`,
        },
      });
      socket.end();
      return;
    }
    const caller: Caller = {
      credentials,
      socket,
      devices: new Map(),
      work: Promise.resolve(),
      closed: false,
    };
    this.callers.add(caller);
    this.options.log(`${who}: connected`);

    const lines = new LineSplitter(MAX_MESSAGE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const event of lines.push(chunk)) {
        if ('tooLong' in event) {
          this.options.log(
            `${who}: refused: a message over ${MAX_MESSAGE_BYTES} bytes; closing the connection`,
          );
          this.reply(socket, {
            id: null,
            ok: false,
            error: {
              code: 'too-large',
              message: `a message is at most ${MAX_MESSAGE_BYTES} bytes; closing the connection`,
            },
          });
          socket.end();
          return;
        }
        // One request at a time: reading stops until this one is answered.
        socket.pause();
        caller.work = caller.work
          .then(() => this.handle(caller, event.line))
          .finally(() => {
            if (!caller.closed) socket.resume();
          });
      }
    });
    socket.on('error', (err) => this.options.log(`${who}: socket error: ${err.message}`));
    socket.on('close', () => void this.drop(caller, 'the connection closed'));
  }

  private reply(socket: Socket, response: HelperResponse): void {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(response)}\n`);
  }

  private async handle(caller: Caller, line: string): Promise<void> {
    const who = `uid ${caller.credentials.uid} pid ${caller.credentials.pid}`;
    let raw: unknown;
    let id: number | null = null;
    const started = Date.now();
    let summary = 'request';
    try {
      try {
        raw = JSON.parse(line);
      } catch {
        throw new RequestError('invalid', 'not a JSON object');
      }
      const maybeId = (raw as { id?: unknown } | null)?.id;
      if (typeof maybeId === 'number' && Number.isSafeInteger(maybeId) && maybeId >= 0)
        id = maybeId;
      const parsed = helperRequestSchema.safeParse(raw);
      if (!parsed.success) throw new RequestError('invalid', describeIssue(parsed.error));
      const request = parsed.data;
      summary = describeRequest(request);
      const result = await this.execute(caller, request);
      this.options.log(`${who}: ${summary}: ok (${Date.now() - started} ms)`);
      this.reply(caller.socket, { id, ok: true, result });
    } catch (err) {
      const code =
        err instanceof RequestError ? err.code : err instanceof DeviceError ? err.code : 'failed';
      const message = (err as Error).message;
      this.options.log(`${who}: ${summary}: ${code}: ${message}`);
      this.reply(caller.socket, { id, ok: false, error: { code, message } });
    }
  }

  /** The device `name` if this connection holds it; refused otherwise. */
  private held(caller: Caller, name: string): HeldDevice {
    const device = caller.devices.get(name);
    // The same answer whether the device belongs to someone else or does not exist: a caller
    // learns nothing about other users' tunnels.
    if (!device) throw new RequestError('refused', `${name} is not a device of this connection`);
    return device;
  }

  private async execute(caller: Caller, request: HelperRequest): Promise<unknown> {
    switch (request.op) {
      case 'open-tun': {
        if (caller.devices.size >= MAX_DEVICES_PER_CONNECTION) {
          throw new RequestError(
            'refused',
            `a connection holds at most ${MAX_DEVICES_PER_CONNECTION} device`,
          );
        }
        if (this.owners.has(request.name)) {
          throw new RequestError('refused', `${request.name} is already in use`);
        }
        this.owners.set(request.name, caller);
        try {
          await this.devices.create(request.name, caller.credentials.uid, caller.credentials.pid);
        } catch (err) {
          this.owners.delete(request.name);
          throw err;
        }
        caller.devices.set(request.name, { name: request.name, setup: null });
        return { name: request.name };
      }
      case 'configure': {
        const device = this.held(caller, request.plan.tunName);
        if (device.setup) throw new RequestError('refused', `${device.name} is already configured`);
        const setup = await new NetworkSetup({
          stateDir: this.networkDir,
          run: this.run,
          log: this.options.log,
          ...(this.options.resolvConfPath ? { resolvConfPath: this.options.resolvConfPath } : {}),
          ...(this.options.dnsMode ? { dnsMode: this.options.dnsMode } : {}),
        }).apply(request.plan);
        device.setup = setup;
        return { dnsMode: setup.dnsMode, hostRoute: setup.hostRoute, routes: [...setup.routes] };
      }
      case 'refresh-host-route': {
        const device = this.held(caller, request.tunName);
        if (!device.setup) return { result: 'not-needed' };
        return device.setup.refreshHostRoute();
      }
      case 'reapply-dns': {
        const device = this.held(caller, request.tunName);
        return { result: device.setup ? await device.setup.reapplyDns() : 'not-managed' };
      }
      case 'release': {
        const device = this.held(caller, request.tunName);
        await this.undo(caller, device);
        return {};
      }
    }
  }

  /** Undoes the network set-up of one device and deletes it. */
  private async undo(caller: Caller, device: HeldDevice): Promise<void> {
    try {
      await device.setup?.undo();
      await this.devices.remove(device.name);
    } finally {
      caller.devices.delete(device.name);
      if (this.owners.get(device.name) === caller) this.owners.delete(device.name);
    }
  }

  /** The connection is gone: undo everything done for it, after the request under way. */
  private async drop(caller: Caller, why: string): Promise<void> {
    if (caller.closed) return;
    caller.closed = true;
    caller.socket.destroy();
    const who = `uid ${caller.credentials.uid} pid ${caller.credentials.pid}`;
    await caller.work.catch(() => undefined);
    const started = Date.now();
    const names = [...caller.devices.keys()];
    for (const device of [...caller.devices.values()]) {
      try {
        await this.undo(caller, device);
      } catch (err) {
        this.options.log(`${who}: undoing ${device.name} failed: ${(err as Error).message}`);
      }
    }
    this.callers.delete(caller);
    this.options.log(
      names.length === 0
        ? `${who}: disconnected (${why})`
        : `${who}: disconnected (${why}): undid ${names.join(', ')} in ${Date.now() - started} ms`,
    );
  }
}

function describeRequest(request: HelperRequest): string {
  switch (request.op) {
    case 'open-tun':
      return `open-tun ${request.name}`;
    case 'configure':
      return (
        `configure ${request.plan.tunName} (address ${request.plan.address}, ` +
        `routes ${request.plan.splitTunnel ? request.plan.routes.join(' ') || 'none' : 'all'}, ` +
        `DNS ${request.plan.dns.servers.join(' ') || 'none'})`
      );
    default:
      return `${request.op} ${request.tunName}`;
  }
}
