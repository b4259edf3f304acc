// Logins refused before any password check (429: the source's budget is spent, or the name
// is locked out at that source) cost the gateway almost nothing, so a client can send them
// as fast as the network allows. One audit line each, with the name the client chose, let
// anyone without an account write 45 MB to the log in 20 s. They are summarised instead: one
// line per source address and interval, with counts by reason and the first few names tried,
// each cut to a bounded length.
import { auditName, type AuditLog } from './audit.js';
import { sourceKey, type RefusalReason } from './auth/rate-limit.js';

/** Names listed per source line; the rest are counted. */
const NAMES_PER_LINE = 5;
/** Sources summarised apart per interval; refusals from further sources share one line. */
const MAX_SOURCES = 1_000;
/** The line that gathers sources past MAX_SOURCES in one interval. */
const OTHER_SOURCES = 'other';

interface Summary {
  count: number;
  reasons: Partial<Record<RefusalReason, number>>;
  users: string[];
  otherNames: number;
  from: number;
  to: number;
}

export class LoginRefusalLog {
  private readonly sources = new Map<string, Summary>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audit: AuditLog,
    /** Read when an interval starts, so that a reload applies to the next one. */
    private readonly intervalMs: () => number,
  ) {}

  record(sourceIp: string, user: string, reason: RefusalReason, now = Date.now()): void {
    let key = sourceKey(sourceIp);
    let summary = this.sources.get(key);
    if (!summary && this.sources.size >= MAX_SOURCES) {
      key = OTHER_SOURCES;
      summary = this.sources.get(key);
    }
    if (!summary) {
      summary = { count: 0, reasons: {}, users: [], otherNames: 0, from: now, to: now };
      this.sources.set(key, summary);
    }
    summary.count++;
    summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1;
    summary.to = now;
    const name = auditName(user);
    if (!summary.users.includes(name)) {
      if (summary.users.length < NAMES_PER_LINE) summary.users.push(name);
      else summary.otherNames++;
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs()).unref();
  }

  /** Writes what was gathered, one line per source, and starts a new interval. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [sourceIp, s] of this.sources) {
      this.audit.write({
        event: 'login-refused',
        sourceIp,
        count: s.count,
        reasons: s.reasons,
        users: s.users,
        otherNames: s.otherNames,
        from: new Date(s.from).toISOString(),
        to: new Date(s.to).toISOString(),
      });
    }
    this.sources.clear();
  }
}
