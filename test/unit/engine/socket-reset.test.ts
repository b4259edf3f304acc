// resetSocket: an application's connection is reset, or closed when our FIN is already on its
// way; either way it closes (Node's resetAndDestroy() right after end() never does).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resetSocket } from '../../../src/main/engine/stack/tcp-terminator.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** The accepted side of a loopback connection, and what the other side saw. */
async function pair(): Promise<{ accepted: Socket; peerError: () => string | undefined }> {
  let peerError: string | undefined;
  const accepted = await new Promise<Socket>((resolve) => {
    server = createServer(resolve);
    server.listen(0, '127.0.0.1', () => {
      const address = server?.address();
      if (!address || typeof address === 'string') throw new Error('no address');
      const peer = connect(address.port, '127.0.0.1');
      peer.on('error', (err: NodeJS.ErrnoException) => (peerError = err.code));
      peer.resume();
    });
  });
  accepted.on('error', () => undefined);
  return { accepted, peerError: () => peerError };
}

function closed(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('resetSocket', () => {
  it('resets a connection that is still open: the peer sees ECONNRESET', async () => {
    const { accepted, peerError } = await pair();
    const done = closed(accepted);
    resetSocket(accepted);
    expect(await done).toBe(true);
    await expect.poll(peerError).toBe('ECONNRESET');
  });

  it('closes a connection whose FIN is on its way (end() just called)', async () => {
    const { accepted } = await pair();
    const done = closed(accepted);
    accepted.end();
    resetSocket(accepted);
    expect(await done).toBe(true);
  });
});
