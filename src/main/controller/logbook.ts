// The app's log as the Logs view shows it: a bounded ring of lines, newest last. Callers pass
// finished sentences; nothing secret is ever handed to it (no passwords, codes or tokens), and
// what looks like one is scrubbed on the way in all the same (an engine message that quoted a
// header), so neither the window, nor a copy, nor a saved file can show it.
import type { LogLine } from '../../shared/ipc-schema.js';
import { redactSecrets } from './diagnostics.js';

export class Logbook {
  private lines: LogLine[] = [];
  private readonly listeners = new Set<(line: LogLine) => void>();

  constructor(
    private readonly capacity = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  add(level: LogLine['level'], message: string, time: number = this.now()): LogLine {
    const line = { level, message: redactSecrets(message), time };
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    for (const listener of this.listeners) listener(line);
    return line;
  }

  list(): LogLine[] {
    return [...this.lines];
  }

  clear(): void {
    this.lines = [];
  }

  onLine(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
