// The audit log: one JSON object per line, appended, for every login and every flow. It says
// who (user, source IP, intranet IP), to what, the verdict, and for flows the bytes and time.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Protocol } from '../shared/protocol/session.js';

export type AuditEvent =
  | {
      event: 'login';
      /** As sent (bounded by `auditName` when it comes from a failed attempt). */
      user: string;
      sourceIp: string;
      result: 'success' | 'failure';
      reason?: string;
      /** Set when this failure locked the name out at this source, for that long. */
      lockedOutSeconds?: number;
      intranetIp?: string | null;
      session?: string;
    }
  | {
      /** Logins refused without a password check (429), summarised per source and interval. */
      event: 'login-refused';
      sourceIp: string;
      count: number;
      /** Refusals by reason: `rate-limited` (the source's budget), `locked-out` (name at source). */
      reasons: Record<string, number>;
      /** The first few names tried, bounded. */
      users: string[];
      /** Refusals that named someone else than `users`. */
      otherNames: number;
      from: string;
      to: string;
    }
  | { event: 'logout'; user: string; session: string; reason: string; intranetIp: string | null }
  | {
      event: 'flow';
      user: string;
      session: string;
      sourceIp: string;
      intranetIp: string | null;
      protocol: Protocol;
      destination: string;
      port?: number;
      verdict: 'allow' | 'deny' | 'error';
      /** For a denied reserved destination: which kind (loopback, gateway-address...). */
      reserved?: string;
      /** Policy index that decided, or null for the default deny. */
      policy?: number | null;
      resource?: string | null;
      error?: string;
      bytesUp: number;
      bytesDown: number;
      durationMs: number;
    };

/** Longest attacker-chosen string (a user name) written to the log, in characters. */
export const MAX_AUDIT_NAME = 64;

/** A name as typed by a client, cut to a bounded length: the log must not grow with input. */
export function auditName(name: string): string {
  // A character takes at most two UTF-16 units: this prefix holds the first 65 of them.
  const characters = [...name.slice(0, 2 * MAX_AUDIT_NAME + 2)];
  return characters.length <= MAX_AUDIT_NAME
    ? name
    : `${characters.slice(0, MAX_AUDIT_NAME).join('')}…`;
}

export interface AuditLog {
  write(event: AuditEvent): void;
  /**
   * Writes a line already serialized: `fields` is the JSON of an AuditEvent without its
   * opening brace (`"event":"flow",…}`); the time goes in front as for `write`. For the data
   * plane's flow lines, thousands a second (data-plane.ts builds them from cached parts).
   * Optional: a log without it gets `write` calls (doubles in tests).
   */
  writeSerialized?(fields: string): void;
  /** Reopens the file (after log rotation), on SIGHUP. */
  reopen(): void;
  close(): Promise<void>;
}

export function openAuditLog(path: string | undefined): AuditLog {
  if (!path)
    return {
      write: () => undefined,
      writeSerialized: () => undefined,
      reopen: () => undefined,
      close: async () => undefined,
    };
  let stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o640 });
  const onError = (err: Error) => console.error(`audit log ${path}: ${err.message}`);
  stream.on('error', onError);
  // Lines of one event-loop turn go out in one write: a busy gateway ends thousands of flows
  // a second, and a write per line cost it about 7 % of its CPU (measured, ab -c 20).
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    stream.write(text);
  };
  // The time of the last line, kept for the lines of the same millisecond.
  let timeMs = -1;
  let timeText = '';
  const now = () => {
    const ms = Date.now();
    if (ms !== timeMs) {
      timeMs = ms;
      timeText = new Date(ms).toISOString();
    }
    return timeText;
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return {
    write(event) {
      pending.push(`${JSON.stringify({ time: now(), ...event })}\n`);
      schedule();
    },
    writeSerialized(fields) {
      pending.push(`{"time":"${now()}",${fields}\n`);
      schedule();
    },
    reopen() {
      flush();
      const old = stream;
      stream = createWriteStream(path, { flags: 'a', mode: 0o640 });
      stream.on('error', onError);
      old.end();
    },
    close: () =>
      new Promise((resolve) => {
        flush();
        stream.end(resolve);
      }),
  };
}
