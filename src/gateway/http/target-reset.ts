// Passing a target's reset on to the client, so that it is never mistaken for an orderly
// close: an application would take a body cut short by the reset for a complete one (an
// HTTP/1.0 answer without a length ends with the connection).
//
// HTTP/2 (RFC 9113 §8.5: a proxy that detects a TCP RST "sends a RST_STREAM frame with
// CONNECT_ERROR"): Node's `stream.close(code)` first ends the writable side, so END_STREAM
// leaves a write before the RST_STREAM and the client sees a close, then a reset. The reset
// is submitted on the stream's native handle instead, which sends RST_STREAM alone; Node
// then closes the JavaScript side when nghttp2 reports the stream closed.
//
// HTTP/1.1 CONNECT: the client's TCP connection is reset. Under TLS that is the raw socket
// below the TLS one, which is where a reset can be sent from.
import type { Http2Stream } from 'node:http2';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';

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

/** Resets an HTTP/1.1 tunnel's connection (RST); falls back to a close. */
export function resetConnection(connection: Duplex): void {
  if (connection.destroyed) return;
  // A server-side TLS socket keeps the TCP socket it wraps as `_parent` (Node's own field).
  const raw = (connection as { _parent?: unknown })._parent;
  if (raw instanceof Socket) {
    if (!raw.destroyed) raw.resetAndDestroy();
  } else if (connection instanceof Socket && !(connection instanceof TLSSocket)) {
    connection.resetAndDestroy();
  }
  connection.destroy();
}
