// The TUN devices the helper creates for its callers. A device is persistent and owned by the
// caller's uid (`ip tuntap add … user UID`): the caller's engine then opens it itself, which the
// kernel allows without any capability because it owns the device, and no other local user can
// attach to it. Each device is recorded in a file before it is created, so that a helper that
// was killed deletes what it left at its next start.
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IpRoute2 } from '../main/engine/netconfig/routes.js';
import { isAlreadyGone, type Runner } from '../main/engine/netconfig/run.js';

export interface DeviceRecord {
  name: string;
  /** The local user the device was created for. */
  uid: number;
  /** The process that asked for it (for the log; the connection is what owns it). */
  pid: number;
  createdAt: string;
}

export class DeviceError extends Error {
  override readonly name = 'DeviceError';
  constructor(
    message: string,
    /** `refused`: the caller may not have it; `failed`: the system call failed. */
    readonly code: 'refused' | 'failed',
  ) {
    super(message);
  }
}

export interface DeviceManagerOptions {
  run: Runner;
  /** Where device records live (a folder only the helper writes). */
  recordDir: string;
  timeoutMs?: number;
  log: (message: string) => void;
}

export class DeviceManager {
  private readonly ip: IpRoute2;
  /** Creations and deletions one at a time: a name is checked and taken in one step. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DeviceManagerOptions) {
    this.ip = new IpRoute2(options.run, options.timeoutMs);
  }

  private serial<T>(action: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(action);
    this.queue = next;
    return next;
  }

  private recordPath(name: string): string {
    return join(this.options.recordDir, `${name}.device.json`);
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await this.ip.showLink(name);
      return true;
    } catch (err) {
      if (isAlreadyGone(err)) return false;
      throw err;
    }
  }

  /** Creates `name` owned by `uid`. Refused when any interface of that name exists. */
  create(name: string, uid: number, pid: number): Promise<void> {
    return this.serial(async () => {
      // Without this check `ip tuntap add` would attach to an existing persistent TUN and
      // hand it to the caller: never take over a device someone else made.
      if (await this.exists(name)) {
        throw new DeviceError(`an interface named ${name} already exists`, 'refused');
      }
      const record: DeviceRecord = { name, uid, pid, createdAt: new Date().toISOString() };
      await mkdir(this.options.recordDir, { recursive: true, mode: 0o700 });
      const file = this.recordPath(name);
      await writeFile(`${file}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
      try {
        await this.options.run(
          'ip',
          ['tuntap', 'add', 'dev', name, 'mode', 'tun', 'user', String(uid)],
          this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs },
        );
      } catch (err) {
        await unlink(file).catch(() => undefined);
        throw new DeviceError(`creating ${name}: ${(err as Error).message}`, 'failed');
      }
    });
  }

  /** Deletes `name` if it is still a TUN device, and its record. "Already gone" is success. */
  remove(name: string): Promise<void> {
    return this.serial(async () => {
      try {
        const link = await this.ip.showLink(name);
        if (link.kind === 'tun') await this.ip.deleteLink(name);
        else this.options.log(`${name} is no longer a TUN device (${link.kind}): left alone`);
      } catch (err) {
        if (!isAlreadyGone(err)) throw err;
      }
      await unlink(this.recordPath(name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    });
  }

  /** At start: deletes every device a previous helper process recorded and did not delete. */
  async removeLeftovers(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.options.recordDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const removed: string[] = [];
    for (const file of names.filter((n) => n.endsWith('.device.json'))) {
      let record: DeviceRecord;
      try {
        record = JSON.parse(
          await readFile(join(this.options.recordDir, file), 'utf8'),
        ) as DeviceRecord;
      } catch (err) {
        this.options.log(
          `ignoring the unreadable device record ${file}: ${(err as Error).message}`,
        );
        continue;
      }
      if (typeof record.name !== 'string' || `${record.name}.device.json` !== file) continue;
      try {
        await this.remove(record.name);
        removed.push(record.name);
      } catch (err) {
        this.options.log(`could not delete the leftover ${record.name}: ${(err as Error).message}`);
      }
    }
    return removed;
  }
}
