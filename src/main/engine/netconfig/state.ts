// The crash-recovery record: one JSON file per TUN (default /run/passerelle/<tun>.json), written
// before the first change and updated as each change lands, so that whatever a killed engine
// left behind can be reverted at the next start.
//
// Each change has a status: "planned" (not started: nothing to revert), "pending" (the command
// was about to run: it may or may not have landed, so revert it, tolerating "already gone"),
// "done", or "skipped" (it was already there and is not ours: never revert it).
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRoute } from './routes.js';

export const DEFAULT_STATE_DIR = '/run/passerelle';
export const STATE_VERSION = 1;

export type ChangeStatus = 'planned' | 'pending' | 'done' | 'skipped';

export interface Owner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks): tells a reused PID apart. */
  startTime: string | null;
}

export type DnsState =
  | { mode: 'none' }
  | { mode: 'resolved'; status: ChangeStatus }
  | {
      mode: 'resolvconf';
      status: ChangeStatus;
      path: string;
      /** The original file's bytes, base64 (restored byte for byte), or null if there was none. */
      originalBase64: string | null;
    };

export interface NetState {
  version: typeof STATE_VERSION;
  tunName: string;
  owner: Owner;
  createdAt: string;
  /** MTU and "up" as they were before, restored on undo (recovery deletes the link instead). */
  link: { originalMtu: number; wasUp: boolean; status: ChangeStatus };
  addresses: { cidr: string; status: ChangeStatus }[];
  /** The gateway's host route outside the tunnel (full tunnel, or a gateway inside a route). */
  hostRoute: (HostRoute & { status: ChangeStatus }) | null;
  /** Routes via the TUN (dev = tunName). */
  routes: { dst: string; status: ChangeStatus }[];
  /**
   * Full tunnel only: IPv6 "unreachable" routes (::/1, 8000::/1), so IPv6 traffic cannot go
   * around an IPv4-only tunnel; applications fail over to IPv4 at once. Absent in older files.
   */
  ipv6Blocks?: { dst: string; status: ChangeStatus }[];
  dns: DnsState;
}

/** True when a change may have landed and must be reverted. */
export function mayHaveLanded(status: ChangeStatus): boolean {
  return status === 'pending' || status === 'done';
}

export function stateFilePath(stateDir: string, tunName: string): string {
  return join(stateDir, `${tunName}.json`);
}

export function readStartTime(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses; split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall; fields[0] is field 3
  } catch {
    return null;
  }
}

export function currentOwner(): Owner {
  return { pid: process.pid, startTime: readStartTime('self') };
}

/** True when the process that wrote the state is still running (same PID, same start time). */
export function ownerAlive(owner: Owner): boolean {
  if (owner.pid === process.pid && owner.startTime === readStartTime('self')) return true;
  const startTime = readStartTime(owner.pid);
  if (startTime === null) return false;
  return owner.startTime === null || owner.startTime === startTime;
}

/** Writes atomically (temporary file + rename; the state directory is ours, not a bind mount). */
export async function writeState(file: string, state: NetState): Promise<void> {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

function isNetState(value: unknown): value is NetState {
  const s = value as Partial<NetState> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.version === STATE_VERSION &&
    typeof s.tunName === 'string' &&
    typeof s.owner?.pid === 'number' &&
    typeof s.link?.originalMtu === 'number' &&
    Array.isArray(s.addresses) &&
    Array.isArray(s.routes) &&
    typeof s.dns?.mode === 'string'
  );
}

/** The state in `file`, or null when there is none; throws on an unreadable or foreign file. */
export async function readState(file: string): Promise<NetState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${file}: not a JSON state file`);
  }
  if (!isNetState(value))
    throw new Error(`${file}: not a Passerelle network state (version ${STATE_VERSION})`);
  return value;
}

export async function removeState(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** The state files in a directory (none when it does not exist). */
export async function listStateFiles(stateDir: string): Promise<string[]> {
  try {
    const names = await readdir(stateDir);
    return names
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => join(stateDir, n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
