// One direction of a TCP splice: what `source.pipe(destination)` does for a byte stream
// (back-pressure, end passed on), with three listeners instead of pipe's eight or so. A
// gateway or an engine sets up two of these per connection, thousands of times a second;
// pipe's bookkeeping was a measurable part of the cost of a short connection.
import type { Readable, Writable } from 'node:stream';

/**
 * Copies `source` into `destination` until the source ends, then ends the destination.
 * Pauses the source while the destination is full. Errors and close are the caller's to
 * handle; once the destination is gone, the source is paused and left unread, as an unpiped
 * source would be. `onChunk` sees the size of each chunk (byte counters).
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
    if (!destination.write(chunk)) source.pause();
  });
  destination.on('drain', () => source.resume());
  source.once('end', () => {
    if (!destination.destroyed && !destination.writableEnded) destination.end();
  });
}
