// DNS without systemd-resolved: a managed /etc/resolv.conf. The original bytes are kept (in the
// state file) and written back on undo. The file is always rewritten IN PLACE (open with
// O_TRUNC, write, fsync), never replaced by a rename: under `ip netns exec` /etc/resolv.conf is
// a bind mount of /etc/netns/<ns>/resolv.conf, and a rename over a mount point fails (EBUSY) or,
// done on the directory, would escape to the host's file.
import { open, readFile, unlink } from 'node:fs/promises';
import { cleanDomain, type DnsSettings } from './dns-resolved.js';

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

/** The first line of a resolv.conf we wrote; `dev=` names the TUN it belongs to. */
export const RESOLV_MARKER = '# passerelle-managed';

export function markerLine(tunName: string): string {
  return `${RESOLV_MARKER} dev=${tunName}: written by the Passerelle VPN client; the original is restored on disconnect`;
}

export function hasMarker(content: string, tunName: string): boolean {
  return content.split('\n').some((line) => line.startsWith(`${RESOLV_MARKER} dev=${tunName}:`));
}

/**
 * The managed file: marker, intranet servers first, then the original servers (fallback; glibc
 * uses at most three), one `search` line with the intranet domains then the original ones, and
 * the original's other lines (options, sortlist). Original comments are dropped.
 */
export function renderResolvConf(original: string, dns: DnsSettings, tunName: string): string {
  const servers = [...dns.servers];
  const search = dns.domains.map(cleanDomain).filter((d) => d !== '');
  const other: string[] = [];
  for (const raw of original.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === 'nameserver') {
      const server = rest[0];
      if (server !== undefined && !servers.includes(server)) servers.push(server);
    } else if (keyword === 'search' || keyword === 'domain') {
      // `domain` and `search` exclude each other (the last one wins): fold both into `search`.
      for (const d of rest) {
        const clean = cleanDomain(d);
        if (clean !== '' && !search.includes(clean)) search.push(clean);
      }
    } else {
      other.push(line);
    }
  }
  const lines = [markerLine(tunName), ...servers.map((s) => `nameserver ${s}`)];
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  lines.push(...other);
  return `${lines.join('\n')}\n`;
}

/** The file's bytes, or null when it does not exist. */
export async function readResolvConf(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`reading ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Truncates and rewrites the file through the same inode (no temporary file, no rename). */
export async function writeInPlace(path: string, content: Buffer | string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'w');
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    throw new Error(`writing ${path} in place: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle?.close();
  }
}

export async function applyResolvConf(
  path: string,
  original: Buffer | null,
  dns: DnsSettings,
  tunName: string,
): Promise<void> {
  await writeInPlace(path, renderResolvConf(original?.toString('utf8') ?? '', dns, tunName));
}

export type ResolvConfRestore = 'restored' | 'removed' | 'not-ours';

/**
 * Puts the original back if the file is still ours (carries our marker). Someone else's newer
 * file is left alone. `original` null means there was no file: ours is removed.
 */
export async function restoreResolvConf(
  path: string,
  original: Buffer | null,
  tunName: string,
): Promise<ResolvConfRestore> {
  const current = await readResolvConf(path);
  if (current === null || !hasMarker(current.toString('utf8'), tunName)) return 'not-ours';
  if (original === null) {
    await unlink(path);
    return 'removed';
  }
  await writeInPlace(path, original);
  return 'restored';
}
