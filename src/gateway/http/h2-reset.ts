// RST_STREAM for a CONNECT stream whose target reset the connection (RFC 9113 §8.5: "a proxy
// that detects ... a TCP segment with the RST bit set ... sends a RST_STREAM frame with
// CONNECT_ERROR"). Node's `stream.close(code)` first ends the writable side, so END_STREAM
// leaves before the RST_STREAM, a write apart: the client sees an orderly close, and only
// a millisecond later the reset. An application would then take a body cut short by the
// reset for a complete one (an HTTP/1.0 answer without a length ends with the connection).
// So the reset is submitted on the stream's native handle, which sends RST_STREAM alone;
// Node then closes the JavaScript side when nghttp2 reports the stream closed.
import type { Http2Stream } from 'node:http2';

interface NativeStreamHandle {
  rstStream(code: number): void;
}

/** The stream's native handle (Node's internal `kHandle` symbol), if this Node has one. */
function nativeHandle(stream: Http2Stream): NativeStreamHandle | undefined {
  const symbol = Object.getOwnPropertySymbols(stream).find((s) => s.description === 'kHandle');
  const handle =
    symbol === undefined ? undefined : (stream as unknown as Record<symbol, unknown>)[symbol];
  return typeof (handle as Partial<NativeStreamHandle> | undefined)?.rstStream === 'function'
    ? (handle as NativeStreamHandle)
    : undefined;
}

/** Streams already reset here: Node only learns of the reset once nghttp2 has sent it. */
const reset = new WeakSet<Http2Stream>();

/**
 * Resets the stream with `code` and nothing before it (once: the target's 'error' and
 * 'close' both ask for it); falls back to `close(code)`.
 */
export function resetStream(stream: Http2Stream, code: number): void {
  if (stream.closed || stream.destroyed || reset.has(stream)) return;
  reset.add(stream);
  const handle = nativeHandle(stream);
  if (handle) handle.rstStream(code);
  else stream.close(code);
}
