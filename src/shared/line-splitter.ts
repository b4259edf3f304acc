// Splits a byte stream into lines with a bound on their length, for the JSON-lines protocol of
// the privileged helper (helper-protocol.ts): a peer that never sends a newline cannot make the
// other side buffer without limit.

export type LineEvent = { line: string } | { tooLong: number };

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(private readonly maxBytes: number) {}

  /**
   * Feeds bytes; returns the complete lines they finish, in order. Once a line exceeds the
   * bound, a `tooLong` event is returned (once) and everything after it is ignored: the
   * stream cannot be trusted to resynchronise, so the caller should close it.
   */
  push(chunk: Buffer): LineEvent[] {
    if (this.overflowed) return [];
    const events: LineEvent[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.size += end - start;
      if (this.size > this.maxBytes) {
        this.overflowed = true;
        events.push({ tooLong: this.size });
        this.parts = [];
        return events;
      }
      if (end > start) this.parts.push(chunk.subarray(start, end));
      if (newline === -1) return events;
      events.push({ line: Buffer.concat(this.parts).toString('utf8') });
      this.parts = [];
      this.size = 0;
      start = newline + 1;
    }
  }
}
