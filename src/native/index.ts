// TypeScript face of the native addon (DESIGN §4): a TUN device for the client engine and an
// ICMP echo socket for the gateway. The addon stays minimal (open, poll, read, write, close);
// everything that can be TypeScript, such as validation and fan-out to listeners, is here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A failed system call in the addon: `code` is the errno name (e.g. `EPERM`). */
export class NativeError extends Error {
  code: string;
  syscall: string;
  errno: number;

  constructor(message: string, code: string, syscall: string, errno = 0) {
    super(message);
    this.name = 'NativeError';
    this.code = code;
    this.syscall = syscall;
    this.errno = errno;
  }
}

export interface TunDevice {
  readonly name: string; // actual kernel name
  /** Starts delivering packets read from the device, in batches (one callback per readable event, up to `batch` packets). */
  onPackets(listener: (packets: Buffer[]) => void): void;
  /** Reading stopped for good (e.g. the interface was deleted); without a listener this is a process warning. */
  onError(listener: (error: NativeError) => void): void;
  /** Writes one IP packet; returns false if the kernel queue was full (EAGAIN) and the packet was dropped. */
  write(packet: Buffer): boolean;
  /** Writes many packets in one native call; returns how many were written. */
  writeMany(packets: Buffer[]): number;
  close(): void; // idempotent; stops polling, closes fd
}

export interface IcmpEchoSocket {
  /** Sends one ICMP message (8-byte ICMP header + payload, checksum may be zero: the kernel fills it for ping sockets) to an IPv4 address. */
  send(destination: string, icmpMessage: Buffer): void;
  onMessage(listener: (source: string, icmpMessage: Buffer) => void): void;
  /** The echo identifier the kernel assigned to this socket (ping sockets rewrite the ID). */
  readonly identifier: number;
  close(): void;
}

// What the .node module exports (src/native/addon/).
interface NativeTun {
  readonly name: string;
  start(listener: (packets: Buffer[] | null, error?: NativeError) => void): void;
  write(packet: Buffer): boolean;
  writeMany(packets: Buffer[]): number;
  close(): void;
}

interface NativeIcmp {
  readonly identifier: number;
  /** True when the raw-socket fallback is in use (ping sockets not allowed). */
  readonly raw: boolean;
  start(listener: (sources: string[] | null, messages: Buffer[] | NativeError) => void): void;
  send(destination: string, icmpMessage: Buffer): void;
  close(): void;
}

interface NativeBinding {
  setErrorClass(ctor: typeof NativeError): void;
  openTun(name: string, batch: number, readBufferSize: number): NativeTun;
  openIcmpEchoSocket(): NativeIcmp;
}

const ADDON = join('src', 'native', 'build', 'Release', 'passerelle_native.node');

/** The folder holding package.json, found from this file (src/native/ or dist/native/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

let binding: NativeBinding | undefined;

// Loaded on first use, so that importing this module (e.g. for its types, or on a machine
// where the addon was not built) never fails by itself.
function native(): NativeBinding {
  if (binding) return binding;
  const path = join(packageRoot(), ADDON);
  let loaded: NativeBinding;
  try {
    loaded = createRequire(import.meta.url)(path) as NativeBinding;
  } catch (err) {
    throw new Error(
      `cannot load the native addon ${path} (build it with \`npm ci\` or ` +
        `\`npx node-gyp rebuild --directory src/native\`): ${(err as Error).message}`,
      { cause: err },
    );
  }
  loaded.setErrorClass(NativeError);
  binding = loaded;
  return loaded;
}

function positiveInteger(value: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Errors that stop the reader after open (e.g. the interface was deleted) have no caller. */
function reportAsyncError(error: unknown): void {
  process.emitWarning(
    error instanceof Error ? error : new Error(String(error)),
    'PasserelleNative',
  );
}

class Tun implements TunDevice {
  readonly name: string;
  readonly #native: NativeTun;
  readonly #listeners: ((packets: Buffer[]) => void)[] = [];
  readonly #errorListeners: ((error: NativeError) => void)[] = [];
  #closed = false;

  constructor(device: NativeTun) {
    this.#native = device;
    this.name = device.name;
  }

  onPackets(listener: (packets: Buffer[]) => void): void {
    if (this.#closed) throw new NativeError(`TUN device ${this.name} is closed`, 'EBADF', 'read');
    this.#listeners.push(listener);
    if (this.#listeners.length > 1) return;
    this.#native.start((packets, error) => {
      if (packets === null) {
        if (this.#errorListeners.length === 0 || !(error instanceof NativeError))
          reportAsyncError(error);
        else for (const l of this.#errorListeners) l(error);
        return;
      }
      for (const l of this.#listeners) l(packets);
    });
  }

  onError(listener: (error: NativeError) => void): void {
    this.#errorListeners.push(listener);
  }

  write(packet: Buffer): boolean {
    return this.#native.write(packet);
  }

  /**
   * Writes in order and stops early: when the kernel queue is full (EAGAIN), or when a packet
   * after the first fails (retrying the rest with write() throws that error). An error on the
   * first packet throws at once.
   */
  writeMany(packets: Buffer[]): number {
    return this.#native.writeMany(packets);
  }

  close(): void {
    this.#closed = true;
    this.#listeners.length = 0;
    this.#errorListeners.length = 0;
    this.#native.close();
  }
}

class IcmpSocket implements IcmpEchoSocket {
  readonly identifier: number;
  readonly #native: NativeIcmp;
  readonly #listeners: ((source: string, icmpMessage: Buffer) => void)[] = [];
  #closed = false;

  constructor(socket: NativeIcmp) {
    this.#native = socket;
    this.identifier = socket.identifier;
  }

  send(destination: string, icmpMessage: Buffer): void {
    this.#native.send(destination, icmpMessage);
  }

  onMessage(listener: (source: string, icmpMessage: Buffer) => void): void {
    if (this.#closed) throw new NativeError('ICMP socket is closed', 'EBADF', 'recvfrom');
    this.#listeners.push(listener);
    if (this.#listeners.length > 1) return;
    this.#native.start((sources, messages) => {
      if (sources === null || !Array.isArray(messages)) {
        reportAsyncError(messages);
        return;
      }
      for (let i = 0; i < sources.length; i++) {
        for (const l of this.#listeners) l(sources[i]!, messages[i]!);
        if (this.#closed) return;
      }
    });
  }

  close(): void {
    this.#closed = true;
    this.#listeners.length = 0;
    this.#native.close();
  }
}

/**
 * Opens (creating if needed) the TUN device `name` (Linux: IFF_TUN | IFF_NO_PI, non-blocking).
 * Needs CAP_NET_ADMIN unless the device already exists and belongs to this user. The interface
 * disappears, with its addresses and routes, when the device is closed.
 */
export function openTun(options: {
  name: string;
  batch?: number;
  readBufferSize?: number;
}): TunDevice {
  const batch = positiveInteger(options.batch ?? 64, 'batch', 1, 4096);
  // 64 KiB holds the largest IPv4 packet, whatever MTU the engine chooses.
  const readBufferSize = positiveInteger(
    options.readBufferSize ?? 65_536,
    'readBufferSize',
    576,
    1 << 20,
  );
  return new Tun(native().openTun(options.name, batch, readBufferSize));
}

/** An unprivileged ICMP "ping" socket (SOCK_DGRAM, IPPROTO_ICMP), falling back to SOCK_RAW when ping sockets are not allowed (net.ipv4.ping_group_range) and the process is privileged; the error message says which sysctl to set when neither works. */
export function openIcmpEchoSocket(): IcmpEchoSocket {
  return new IcmpSocket(native().openIcmpEchoSocket());
}
