// What a process costs, read from /proc: open descriptors, resident memory, CPU time. The
// hostile tests watch the gateway with it while an attack runs. The gateway is two processes,
// the control plane and its native data plane (a child): a process is counted with its
// children, so that the figures are the whole gateway's.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  fds: number;
  rssKiB: number;
  /** User and system CPU time since the process started. */
  cpuMs: number;
}

/** The process and its descendants (their pids). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const parent = pids[i] as number;
    try {
      for (const child of readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
        .trim()
        .split(/\s+/))
        if (child !== '') pids.push(Number(child));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A process with its children (see the top of this file). */
export function sampleProcess(pid: number): ProcessSample {
  const total: ProcessSample = { fds: 0, rssKiB: 0, cpuMs: 0 };
  processTree(pid).forEach((member, index) => {
    try {
      const one = sampleOne(member);
      total.fds += one.fds;
      total.rssKiB += one.rssKiB;
      total.cpuMs += one.cpuMs;
    } catch (err) {
      // The process itself must be there; a child may end between the listing and the read.
      if (index === 0) throw err;
    }
  });
  return total;
}

function sampleOne(pid: number): ProcessSample {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { fds, rssKiB, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}

export interface Watched<T> {
  result: T;
  before: ProcessSample;
  peakFds: number;
  peakRssKiB: number;
  /** CPU the process used while `work` ran. */
  cpuMs: number;
}

/** Runs `work` while sampling the process every 100 ms; peaks and CPU used meanwhile. */
export async function watchProcess<T>(pid: number, work: () => Promise<T>): Promise<Watched<T>> {
  const before = sampleProcess(pid);
  let peakFds = before.fds;
  let peakRssKiB = before.rssKiB;
  const sample = () => {
    try {
      const now = sampleProcess(pid);
      peakFds = Math.max(peakFds, now.fds);
      peakRssKiB = Math.max(peakRssKiB, now.rssKiB);
      return now;
    } catch {
      return undefined; // the process is gone: the caller's assertions will say so
    }
  };
  const timer = setInterval(sample, 100);
  try {
    const result = await work();
    const after = sample() ?? before;
    return { result, before, peakFds, peakRssKiB, cpuMs: after.cpuMs - before.cpuMs };
  } finally {
    clearInterval(timer);
  }
}
