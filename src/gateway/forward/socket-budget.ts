// Every flow holds a socket towards its target (TCP, UDP, or the ICMP socket of a connect-ip
// stream), and each socket is a file descriptor. Without a cap, one logged-in user could open
// sockets until the process reaches its descriptor limit, and then nobody can log in or open
// anything (EMFILE). The budget is checked after the policy allowed a flow and before its
// socket exists, per user (all sessions together) and overall, and is given back when the
// socket closes.
import { readFileSync } from 'node:fs';

export type SocketLimit = 'flows-per-user' | 'flows-total';

export interface SocketLimits {
  perUser: number;
  total: number;
}

export interface SocketLease {
  /** Gives the place back; harmless to call again. */
  release(): void;
}

export type SocketGrant =
  { ok: true; lease: SocketLease } | { ok: false; limit: SocketLimit; details: string };

export class SocketBudget {
  private readonly perUser = new Map<string, number>();
  private total = 0;

  constructor(
    /** Read at each request, so that a reload applies to the next flow. */
    private readonly limits: () => SocketLimits,
    private readonly onChange: (inUse: number) => void = () => undefined,
  ) {}

  acquire(user: string): SocketGrant {
    const limits = this.limits();
    const mine = this.perUser.get(user) ?? 0;
    if (mine >= limits.perUser) {
      return {
        ok: false,
        limit: 'flows-per-user',
        details: `at most ${limits.perUser} open flows per user`,
      };
    }
    if (this.total >= limits.total) {
      return {
        ok: false,
        limit: 'flows-total',
        details: `the gateway holds its limit of ${limits.total} open flows`,
      };
    }
    this.perUser.set(user, mine + 1);
    this.total++;
    this.onChange(this.total);
    let released = false;
    return {
      ok: true,
      lease: {
        release: () => {
          if (released) return;
          released = true;
          const left = (this.perUser.get(user) ?? 1) - 1;
          if (left > 0) this.perUser.set(user, left);
          else this.perUser.delete(user);
          this.total--;
          this.onChange(this.total);
        },
      },
    };
  }

  /** Sockets held by flows now. */
  get inUse(): number {
    return this.total;
  }

  /** Sockets held by one user's flows now. */
  heldBy(user: string): number {
    return this.perUser.get(user) ?? 0;
  }
}

/** Share of the descriptor limit flows may use when `limits.flowsTotal` is not set. */
export const FLOW_SHARE_OF_DESCRIPTORS = 0.6;
/** Used when the descriptor limit cannot be read (not Linux). */
const FALLBACK_FLOWS_TOTAL = 8_000;

/** The process's soft limit on open files (RLIMIT_NOFILE), from /proc; undefined elsewhere. */
export function descriptorLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const value = Number(soft);
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The overall cap on flow sockets: the configured one, or 60 % of the descriptor limit
 * (12,000 of 20,000). The rest is for client connections (each a descriptor too, capped
 * separately), the listeners, the audit log and what Node itself holds, so that the gateway
 * refuses a flow with 429 before the kernel refuses a socket with EMFILE.
 */
export function flowsTotal(configured: number | undefined, limit: number | undefined): number {
  if (configured !== undefined) return configured;
  if (limit === undefined) return FALLBACK_FLOWS_TOTAL;
  return Math.max(1, Math.floor(limit * FLOW_SHARE_OF_DESCRIPTORS));
}
