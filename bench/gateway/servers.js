// Intranet-side servers for the gateway benchmark, run in the lab's intranet namespace:
//   node servers.js HOST
// - SINK_PORT: reads everything, and when the client ends, answers with the byte count
//   (8 bytes, big-endian) and closes.
// - HOLD_PORT: accepts and holds connections idle (for the memory-per-flow figure).
// - REPLY_PORT: answers the first bytes with a tiny HTTP response and closes (new flows/s).
// Prints "ready" when all three listen.
import { createServer } from 'node:net';

export const SINK_PORT = 8050;
export const HOLD_PORT = 8051;
export const REPLY_PORT = 8052;

const host = process.argv[2] ?? '127.0.0.1';
const REPLY = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');

const sink = createServer({ allowHalfOpen: true }, (socket) => {
  let bytes = 0;
  socket.on('data', (chunk) => (bytes += chunk.length));
  socket.on('end', () => {
    const count = Buffer.alloc(8);
    count.writeBigUInt64BE(BigInt(bytes));
    socket.end(count);
  });
  socket.on('error', () => undefined);
});

const held = new Set();
const hold = createServer((socket) => {
  held.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => held.delete(socket));
});

const reply = createServer({ allowHalfOpen: true }, (socket) => {
  socket.once('data', () => socket.end(REPLY));
  socket.on('error', () => undefined);
});

let pending = 3;
for (const [server, port] of [
  [sink, SINK_PORT],
  [hold, HOLD_PORT],
  [reply, REPLY_PORT],
]) {
  server.listen({ host, port, backlog: 4096 }, () => {
    if (--pending === 0) console.log('ready');
  });
}
