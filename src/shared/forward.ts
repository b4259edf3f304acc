// One direction of a TCP splice: what `source.pipe(destination)` does for a byte stream
// (back-pressure, end passed on), tuned for a tunnel that moves gigabits through one event
// loop. Measured on the gateway and the engine (docs/architecture.md, "Where the time goes"):
// - three listeners instead of pipe's eight or so: a splice is set up twice per connection,
//   thousands of times a second;
// - the source is paused only past BACKLOG_BYTES queued, not at the stream's 16 KiB high-water
//   mark: pausing a socket and resuming it costs two epoll_ctl calls, and at 16 KiB the engine
//   made 25,000 of those a second during a 3.4 Gbit/s upload (8,000 with this).
// Batching a turn's chunks into one writev (cork) was tried too: ten times fewer write calls,
// no CPU or throughput difference beyond noise, so it is not done.
import type { Readable, Writable } from 'node:stream';

/** Bytes a destination may hold before its source is paused. Bounds memory per flow. */
export const BACKLOG_BYTES = 256 * 1024;

/**
 * Copies `source` into `destination` until the source ends, then ends the destination.
 * Pauses the source while the destination holds more than BACKLOG_BYTES. Errors and close are
 * the caller's to handle; once the destination is gone, the source is paused and left unread,
 * as an unpiped source would be. `onChunk` sees the size of each chunk (byte counters).
 */
export function forward(
  source: Readable,
  destination: Writable,
  onChunk?: (bytes: number) => void,
): void {
  source.on('data', (chunk: Buffer) => {
    if (destination.destroyed || destination.writableEnded) {
      source.pause();
      return;
    }
    onChunk?.(chunk.length);
    destination.write(chunk);
    if (destination.writableLength >= BACKLOG_BYTES) source.pause();
  });
  destination.on('drain', () => source.resume());
  source.once('end', () => {
    if (destination.destroyed || destination.writableEnded) return;
    destination.end();
  });
}
