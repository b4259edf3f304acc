// A client that vanishes without closing (a laptop suspended, a frozen process, a cable
// pulled behind NAT) would keep its HTTP/2 connection, its tunnels and their connections to
// intranet targets open until TCP keepalive gives up, a quarter of an hour later. So every
// `interval` the gateway looks whether anything arrived on the connection and sends a PING,
// whose answer counts as arrival; after three silent intervals the connection is closed,
// which closes its tunnels. Counting bytes rather than PING answers alone keeps a client
// alive whose answer waits behind a long upload on a slow link.
import type { ServerHttp2Session } from 'node:http2';

/** Intervals without a byte from the client before its connection is closed. */
const SILENT_INTERVALS = 3;

export function watchLiveness(session: ServerHttp2Session, intervalMs: () => number): void {
  let lastRead = -1;
  let silent = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (session.closed || session.destroyed) return;
    const read = session.socket?.bytesRead ?? 0;
    if (read !== lastRead) {
      lastRead = read;
      silent = 0;
    } else if (++silent >= SILENT_INTERVALS) {
      session.destroy(new Error('the client stopped answering'));
      return;
    }
    try {
      session.ping(() => undefined);
    } catch {
      // Too many PINGs outstanding, or the session is closing: the silence counts anyway.
    }
    timer = setTimeout(tick, intervalMs());
    timer.unref();
  };
  timer = setTimeout(tick, intervalMs());
  timer.unref();
  session.once('close', () => clearTimeout(timer));
}
