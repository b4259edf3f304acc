// Per-link DNS through systemd-resolved (`resolvectl`): the intranet servers on the TUN link,
// the intranet domains as routing-only domains (~corp.example), reverted with `resolvectl revert`.
import { access, readlink } from 'node:fs/promises';
import type { Runner } from './run.js';

export interface DnsSettings {
  servers: string[];
  domains: string[];
}

export interface ResolvedOptions {
  /** Full tunnel: the link also gets "~." so that every name is resolved through the tunnel. */
  fullTunnel: boolean;
}

/** Strips a leading "~" (we add it) and a trailing dot; lower-cases. */
export function cleanDomain(domain: string): string {
  return domain.trim().replace(/^~/, '').replace(/\.$/, '').toLowerCase();
}

/** The argv of each resolvectl call that applies `dns` to `link`, in order. */
export function resolvectlApplyCommands(
  link: string,
  dns: DnsSettings,
  options: ResolvedOptions,
): string[][] {
  const commands: string[][] = [['dns', link, ...dns.servers]];
  const routing = dns.domains
    .map(cleanDomain)
    .filter((d) => d !== '')
    .map((d) => `~${d}`);
  if (options.fullTunnel) routing.push('~.');
  if (routing.length > 0) commands.push(['domain', link, ...routing]);
  return commands;
}

export function resolvectlRevertCommand(link: string): string[] {
  return ['revert', link];
}

export async function applyResolved(
  run: Runner,
  link: string,
  dns: DnsSettings,
  options: ResolvedOptions,
  timeoutMs?: number,
): Promise<void> {
  for (const args of resolvectlApplyCommands(link, dns, options)) {
    await run('resolvectl', args, timeoutMs === undefined ? {} : { timeoutMs });
  }
}

export async function revertResolved(run: Runner, link: string, timeoutMs?: number): Promise<void> {
  await run(
    'resolvectl',
    resolvectlRevertCommand(link),
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

/** True when this process runs in a named network namespace (`ip netns identify` prints it). */
async function inNamedNetns(run: Runner): Promise<boolean> {
  try {
    const { stdout } = await run('ip', ['netns', 'identify', String(process.pid)], {
      timeoutMs: 5_000,
    });
    return stdout.trim() !== '';
  } catch {
    return false;
  }
}

/** True when PID 1's network namespace is readable and differs from ours. */
async function outsideInitNetns(): Promise<boolean> {
  try {
    const [ours, init] = await Promise.all([
      readlink('/proc/self/ns/net'),
      readlink('/proc/1/ns/net'),
    ]);
    return ours !== init;
  } catch {
    return false; // not allowed to look: assume the ordinary case
  }
}

/**
 * Whether systemd-resolved can take per-link settings for our TUN: its runtime directory
 * exists, `resolvectl status` succeeds, and we are in the host's own network namespace
 * (resolved runs there; from another namespace it would configure the wrong link and the
 * namespace's resolver would never ask it anyway).
 */
export async function resolvedUsable(run: Runner): Promise<boolean> {
  try {
    await access('/run/systemd/resolve');
  } catch {
    return false;
  }
  if ((await outsideInitNetns()) || (await inNamedNetns(run))) return false;
  try {
    await run('resolvectl', ['status'], { timeoutMs: 5_000 });
    return true;
  } catch {
    return false;
  }
}
