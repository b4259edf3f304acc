import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BACKLOG_BYTES, forward } from '../../../src/shared/forward.js';

/** A writable that takes a chunk only when `release()` is called: a full socket. */
function slowSink(highWaterMark: number) {
  const received: Buffer[] = [];
  const waiting: (() => void)[] = [];
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, done) {
      received.push(chunk);
      waiting.push(done);
    },
  });
  return { sink, received, release: () => waiting.shift()?.() };
}

describe('forward', () => {
  it('copies every byte in order, counts them, and passes the end on', async () => {
    const source = Readable.from([Buffer.from('ab'), Buffer.from('cde'), Buffer.from('f')]);
    const sink = new PassThrough();
    let counted = 0;
    forward(source, sink, (n) => (counted += n));
    const chunks: Buffer[] = [];
    for await (const chunk of sink) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abcdef');
    expect(counted).toBe(6);
    expect(sink.writableEnded).toBe(true);
  });

  it('pauses the source past BACKLOG_BYTES queued and resumes on drain', async () => {
    const source = new PassThrough();
    const { sink, received, release } = slowSink(16 * 1024);
    forward(source, sink);
    source.write(Buffer.alloc(BACKLOG_BYTES / 2, 1));
    await new Promise((r) => setImmediate(r));
    // Over the stream's own high-water mark, but under the backlog: still flowing.
    expect(source.isPaused()).toBe(false);
    source.write(Buffer.alloc(BACKLOG_BYTES / 2, 2));
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    expect(received.length).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(received.length).toBe(2);
    release();
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(false);
  });

  it('stops reading once the destination is destroyed, without throwing', async () => {
    const source = new PassThrough();
    const sink = new PassThrough();
    sink.on('error', () => undefined);
    forward(source, sink);
    sink.destroy();
    source.write('late');
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    source.end();
  });
});
