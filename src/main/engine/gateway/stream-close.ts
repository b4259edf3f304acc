// Closing tunnel streams without tripping the gateway's HTTP/2 "rapid reset" guard: nghttp2
// ends a whole connection when a peer sends RST_STREAM too often (CVE-2023-44487 mitigation,
// about 1,000 at once or 33 a second). So a flow that ends normally ends with END_STREAM, and
// resets (an application aborting its connection) come out of a small budget; past it, the
// stream is ended gracefully and whatever still arrives is discarded.
import { constants, type ClientHttp2Stream } from 'node:http2';

export class ResetBudget {
  private tokens: number;
  private updated = Date.now();

  constructor(
    private readonly burst = 200,
    private readonly perSecond = 10,
  ) {
    this.tokens = burst;
  }

  take(now = Date.now()): boolean {
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.updated) / 1000) * this.perSecond,
    );
    this.updated = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Our side is done: END_STREAM, and anything the gateway still sends is read and dropped. */
export function endStream(stream: ClientHttp2Stream): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.writableEnded) stream.end();
  stream.resume();
}

/** The flow was aborted: RST_STREAM CANCEL while the budget lasts, a graceful end after. */
export function abortStream(stream: ClientHttp2Stream, budget: ResetBudget): void {
  if (stream.destroyed || stream.closed) return;
  if (budget.take()) stream.close(constants.NGHTTP2_CANCEL);
  else endStream(stream);
}
