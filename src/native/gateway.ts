// The gateway's native data plane as the control plane sees it (docs/gateway-dataplane.md):
// a child process (src/native/gateway/, built as src/native/build/Release/passerelle_gateway)
// with one channel on its fd 3. This module starts it, speaks the channel's messages
// (gateway-wire.ts), and reports what comes up: API requests, name resolutions, event batches
// and an unexpected exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from './load.js';
import {
  Down,
  FrameSplitter,
  MalformedMessage,
  MessageReader,
  Up,
  decodeApiRequest,
  decodeEvents,
  encodeApiResponse,
  encodeConfigure,
  encodeHandle,
  encodeReserved,
  encodeResolved,
  encodeSessionAdd,
  encodeSubject,
  type ApiRequestMessage,
  type DataPlaneConfig,
  type DataPlaneEvent,
  type WireAnswer,
  type WireReservedBlock,
  type WireRuleSet,
} from './gateway-wire.js';

export type {
  CannedAnswers,
  DataPlaneConfig,
  DataPlaneEvent,
  DataPlaneLimits,
  WireAnswer,
  WireReservedBlock,
  WireRuleSet,
} from './gateway-wire.js';
export type { ApiRequestMessage, FlowEndEvent, WireRule } from './gateway-wire.js';

export interface DataPlaneHandlers {
  apiRequest(request: ApiRequestMessage): void;
  resolve(id: bigint, host: string): void;
  events(events: DataPlaneEvent[]): void;
  /** The data plane ended without being asked to (a crash, a kill, a protocol error). */
  exit(reason: string): void;
}

export interface DataPlaneInfo {
  pid: number;
  port: number;
  threads: number;
  openssl: string;
  nghttp2: string;
}

export type SeccompMode = 'enforce' | 'trap' | 'off';

/** The data plane's executable: PASSERELLE_DATAPLANE (e.g. a sanitizer build) or the build. */
export function dataPlaneExecutable(): string {
  const override = process.env['PASSERELLE_DATAPLANE'];
  if (override) return override;
  return join(packageRoot(), 'src', 'native', 'build', 'Release', 'passerelle_gateway');
}

export class DataPlaneError extends Error {}

export class DataPlane {
  readonly info: DataPlaneInfo;
  readonly #child: ChildProcess;
  readonly #channel: Socket;
  readonly #handlers: DataPlaneHandlers;
  readonly #configured: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #stopping = false;
  #exited = false;

  private constructor(
    child: ChildProcess,
    channel: Socket,
    handlers: DataPlaneHandlers,
    info: DataPlaneInfo,
  ) {
    this.#child = child;
    this.#channel = channel;
    this.#handlers = handlers;
    this.info = info;
  }

  /** Starts the data plane with `config`; resolves once it listens (READY). */
  static start(
    config: DataPlaneConfig,
    handlers: DataPlaneHandlers,
    options: { seccomp?: SeccompMode } = {},
  ): Promise<DataPlane> {
    const executable = dataPlaneExecutable();
    if (!existsSync(executable)) {
      return Promise.reject(
        new DataPlaneError(
          `the gateway's data plane ${executable} is not built (run \`npm ci\` or ` +
            '`npx node-gyp rebuild --directory src/native`)',
        ),
      );
    }
    const env = { ...process.env };
    if (options.seccomp) env['PASSERELLE_SECCOMP'] = options.seccomp;
    const child = spawn(executable, [], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], env });
    const channel = child.stdio[3] as Socket;
    const splitter = new FrameSplitter();
    return new Promise<DataPlane>((resolve, reject) => {
      let plane: DataPlane | undefined;
      const fail = (reason: string) => {
        if (plane) plane.#onExit(reason);
        else {
          child.kill('SIGKILL');
          reject(new DataPlaneError(reason));
        }
      };
      child.once('error', (err) => fail(`cannot start the data plane: ${err.message}`));
      child.once('exit', (code, signal) => {
        if (plane) plane.#exited = true;
        fail(
          signal
            ? `the data plane was killed by ${signal}`
            : `the data plane exited with code ${code ?? '?'}`,
        );
      });
      channel.on('error', () => undefined);
      channel.on('data', (chunk: Buffer) => {
        let messages;
        try {
          messages = splitter.push(chunk);
        } catch (err) {
          fail(`the data plane sent a malformed frame: ${(err as Error).message}`);
          return;
        }
        for (const { type, fields } of messages) {
          const reader = new MessageReader(fields);
          try {
            if (!plane) {
              if (type === Up.fatal) {
                fail(reader.str());
                return;
              }
              if (type !== Up.ready) {
                fail(`the data plane sent message ${type} before READY`);
                return;
              }
              plane = new DataPlane(child, channel, handlers, {
                pid: child.pid ?? 0,
                port: reader.u16(),
                threads: reader.u16(),
                openssl: reader.str(),
                nghttp2: reader.str(),
              });
              resolve(plane);
              continue;
            }
            plane.#onMessage(type, reader);
          } catch (err) {
            if (!(err instanceof MalformedMessage)) throw err;
            fail(`the data plane sent a malformed message ${type}: ${err.message}`);
            return;
          }
        }
      });
      channel.write(encodeConfigure(config));
    });
  }

  #onMessage(type: number, reader: MessageReader): void {
    switch (type) {
      case Up.events:
        this.#handlers.events(decodeEvents(reader));
        return;
      case Up.apiRequest:
        this.#handlers.apiRequest(decodeApiRequest(reader));
        return;
      case Up.resolve:
        this.#handlers.resolve(reader.u64(), reader.str());
        return;
      case Up.configured: {
        const ok = reader.u8() !== 0;
        const error = reader.str();
        const waiting = this.#configured.shift();
        if (ok) waiting?.resolve();
        else waiting?.reject(new DataPlaneError(error));
        return;
      }
      case Up.fatal:
        this.#onExit(reader.str());
        return;
      default:
        throw new MalformedMessage(`unknown message type ${type}`);
    }
  }

  #onExit(reason: string): void {
    for (const waiting of this.#configured.splice(0)) waiting.reject(new DataPlaneError(reason));
    if (this.#stopping) return;
    this.#stopping = true;
    if (!this.#exited) this.#child.kill('SIGKILL');
    this.#handlers.exit(reason);
  }

  #send(message: Buffer): void {
    if (!this.#stopping) this.#channel.write(message);
  }

  /** Applies a reloaded configuration (TLS, limits); the listen address stays. */
  configure(config: DataPlaneConfig): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#stopping) {
        reject(new DataPlaneError('the data plane is stopping'));
        return;
      }
      this.#configured.push({ resolve, reject });
      this.#send(encodeConfigure(config));
    });
  }

  putSubject(handle: number, rules: WireRuleSet): void {
    this.#send(encodeSubject(handle, rules));
  }

  dropSubject(handle: number): void {
    this.#send(encodeHandle(Down.subjectDrop, handle));
  }

  addSession(session: Parameters<typeof encodeSessionAdd>[0]): void {
    this.#send(encodeSessionAdd(session));
  }

  /** Ends the session's flows; SESSION_DROPPED comes back after their FLOW_END events. */
  dropSession(handle: number): void {
    this.#send(encodeHandle(Down.sessionDrop, handle));
  }

  respond(request: bigint, answer: WireAnswer, authenticated: boolean): void {
    this.#send(encodeApiResponse(request, answer, authenticated));
  }

  /** Destinations no broad allow reaches (the gateway's own addresses change: sent again). */
  putReserved(blocks: readonly WireReservedBlock[]): void {
    this.#send(encodeReserved(blocks));
  }

  resolved(
    request: bigint,
    result: { ok: true; address: number } | { ok: false; error: string },
  ): void {
    this.#send(encodeResolved(request, result));
  }

  /** Stops the data plane: connections closed, last events delivered, process gone. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    if (!this.#stopping) this.#channel.write(new Uint8Array([1, 0, 0, 0, Down.shutdown]));
    this.#stopping = true;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
