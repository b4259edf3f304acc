// The engine's side of the privileged helper's socket (src/shared/helper-protocol.ts). Before
// trusting the socket it checks that root owns it and its folder, so that no local user can
// stand in for the helper. One connection per tunnel: the helper undoes everything it did for
// us when this connection closes, also when our process dies.
import { lstat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  helperResponseSchema,
  helperResultSchemas,
  MAX_MESSAGE_BYTES,
  type HelperErrorCode,
  type HelperOp,
  type HelperRequest,
  type HelperResult,
} from '../../../shared/helper-protocol.js';
import { LineSplitter } from '../../../shared/line-splitter.js';
import { AccessError } from './types.js';

/** The helper answered with an error. */
export class HelperRequestError extends Error {
  override readonly name = 'HelperRequestError';
  constructor(
    readonly code: HelperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A request without its id (the connection numbers them). */
type RequestBody = HelperRequest extends infer R
  ? R extends unknown
    ? Omit<R, 'id'>
    : never
  : never;

interface Pending {
  op: HelperOp;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const INSTALL_HINT =
  'install the Passerelle .deb package, which runs it as the system service passerelle-helper ' +
  '(an AppImage cannot install it), or ask your administrator';

/** Refuses a socket that a user other than root could have put there. */
async function checkOwnedByRoot(path: string): Promise<void> {
  let socket;
  try {
    socket = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new AccessError(
        'helper-missing',
        `the tunnel needs either CAP_NET_ADMIN, which this process lacks, or the Passerelle ` +
          `helper service, which is not installed or not running (no ${path}): ${INSTALL_HINT}`,
      );
    throw new AccessError('helper-missing', `cannot check ${path}: ${(err as Error).message}`);
  }
  const folder = await lstat(dirname(path));
  const problem = !socket.isSocket()
    ? 'is not a socket'
    : socket.uid !== 0
      ? `belongs to uid ${socket.uid}, not root`
      : folder.uid !== 0 || (folder.mode & 0o022) !== 0
        ? `lies in ${dirname(path)}, which root alone must own and write`
        : null;
  if (problem) {
    throw new AccessError(
      'helper-missing',
      `${path} ${problem}: refusing to trust it as the Passerelle helper`,
    );
  }
}

export class HelperConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private closedReason: string | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    const lines = new LineSplitter(MAX_MESSAGE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const event of lines.push(chunk)) {
        if ('tooLong' in event) return this.fail('the helper sent an over-long message');
        this.onLine(event.line);
      }
    });
    socket.on('error', (err) => this.fail(`helper connection: ${err.message}`));
    socket.on('close', () => this.fail('the helper closed the connection'));
  }

  /** Connects to the helper at `path` after checking that root owns the socket. */
  static async open(path: string, timeoutMs = 60_000): Promise<HelperConnection> {
    await checkOwnedByRoot(path);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (err: NodeJS.ErrnoException) => {
        s.destroy();
        reject(
          new AccessError(
            'helper-missing',
            `the Passerelle helper service does not answer on ${path} (${err.code ?? err.message}): ` +
              `start it with \`systemctl start passerelle-helper\`, or ${INSTALL_HINT}`,
            { cause: err },
          ),
        );
      });
    });
    return new HelperConnection(socket, timeoutMs);
  }

  request<R extends RequestBody>(request: R): Promise<HelperResult<R['op']>> {
    if (this.closedReason !== null)
      return Promise.reject(new Error(`${request.op}: ${this.closedReason}`));
    const id = this.nextId++;
    return new Promise<HelperResult<R['op']>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the helper did not answer ${request.op} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        op: request.op,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      this.socket.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  private onLine(line: string): void {
    let response;
    try {
      response = helperResponseSchema.parse(JSON.parse(line));
    } catch {
      return this.fail('the helper sent something that is not an answer of its protocol');
    }
    if (response.id === null) {
      // About the connection itself (too many connections, a message too large).
      const message = response.ok ? 'unexpected answer' : response.error.message;
      return this.fail(`the helper refused the connection: ${message}`);
    }
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    clearTimeout(pending.timer);
    if (!response.ok) {
      pending.reject(new HelperRequestError(response.error.code, response.error.message));
      return;
    }
    const result = helperResultSchemas[pending.op].safeParse(response.result);
    if (result.success) pending.resolve(result.data);
    else pending.reject(new Error(`the helper's answer to ${pending.op} does not fit its schema`));
  }

  private fail(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.socket.destroy();
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`${pending.op}: ${reason}`));
      this.pending.delete(id);
    }
    for (const listener of this.closeListeners) listener(reason);
  }

  /** Called once when the connection ends, whichever side ended it. */
  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  close(): void {
    this.fail('closed by the engine');
  }
}
