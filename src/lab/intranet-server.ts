// An intranet host's services for the lab: HTTP on the given ports (a greeting, /whoami,
// /bytes?n= for downloads, POST /sha256 for uploads, /reset and /truncate for targets that
// reset) and a UDP echo server.
// Usage: node intranet-server.js HOST PORT[,PORT...] [UDPPORT]; prints "ready" when listening.
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const [host = '127.0.0.1', ports = '8080', udpPort] = process.argv.slice(2);

/** Deterministic bytes, so a client can check a download without a second copy. */
export function patternBlock(): Buffer {
  const block = Buffer.alloc(65536);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 255;
  return block;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://intranet');
  if (url.pathname === '/reset') {
    // The host resets the connection (RST), as a crashing server would.
    req.socket.resetAndDestroy();
  } else if (url.pathname === '/truncate') {
    // An HTTP/1.0 answer without a length (the body ends with the connection), cut short by
    // a reset: a client must see a failure, never a complete-looking body.
    req.socket.write('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\npartial body\n', () =>
      setTimeout(() => req.socket.resetAndDestroy(), 50),
    );
  } else if (url.pathname === '/whoami') {
    res.end(`${req.socket.remoteAddress}\n`);
  } else if (url.pathname === '/bytes') {
    const block = patternBlock();
    const size = Math.max(0, Math.min(Number(url.searchParams.get('n') ?? 0), 2 ** 34));
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    let left = size;
    const pump = (): void => {
      while (left > 0) {
        const chunk = left >= block.length ? block : block.subarray(0, left);
        left -= chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  } else if (url.pathname === '/sha256' && req.method === 'POST') {
    const hash = createHash('sha256');
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      hash.update(d);
    });
    req.on('end', () => res.end(`${size} ${hash.digest('hex')}\n`));
  } else {
    res.end('hello from the intranet\n');
  }
}

const portList = ports.split(',').map(Number);
let pending = portList.length;
const onListening = () => {
  if (--pending > 0) return;
  if (!udpPort) {
    console.log('ready');
    return;
  }
  const udp = createSocket('udp4');
  udp.on('message', (message, peer) => udp.send(message, peer.port, peer.address));
  udp.bind(Number(udpPort), host, () => console.log('ready'));
};
for (const port of portList) {
  const server = createServer(handle);
  server.keepAliveTimeout = 1000;
  server.listen(port, host, onListening);
}
