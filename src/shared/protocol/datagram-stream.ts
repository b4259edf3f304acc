// Reading HTTP Datagrams from a capsule stream (RFC 9297): both ends of connect-udp and
// connect-ip do the same thing with the DATA they receive, so it lives here once.
import type { Readable } from 'node:stream';
import { CAPSULE_DATAGRAM, CapsuleError, CapsuleParser, decodeDatagram } from './capsule.js';

export interface DatagramHandlers {
  /** The payload of a DATAGRAM capsule with context ID 0 (a UDP payload or an IP packet). */
  onDatagram(payload: Buffer): void;
  /** A DATAGRAM capsule with another context ID, or none: dropped. */
  onDropped?(): void;
  /** A capsule longer than the limit: the stream must be reset. No more calls follow. */
  onMalformed(): void;
}

export function readDatagrams(
  stream: Readable,
  maxLength: number,
  handlers: DatagramHandlers,
): void {
  const parser = new CapsuleParser(maxLength);
  let failed = false;
  stream.on('data', (chunk: Buffer) => {
    if (failed) return;
    let capsules;
    try {
      capsules = parser.push(chunk);
    } catch (err) {
      if (!(err instanceof CapsuleError)) throw err;
      failed = true;
      handlers.onMalformed();
      return;
    }
    for (const capsule of capsules) {
      // Unknown capsule types are skipped (RFC 9297 §3.2).
      if (capsule.type !== CAPSULE_DATAGRAM) continue;
      const datagram = decodeDatagram(capsule.value);
      if (!datagram || datagram.contextId !== 0) handlers.onDropped?.();
      else handlers.onDatagram(datagram.payload);
    }
  });
}
