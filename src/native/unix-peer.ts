// TypeScript face of passerelle_peer.node (addon/unix_peer_linux.cc): the uid, gid and pid of
// the process at the other end of a Unix stream socket, as the kernel recorded them at connect
// time (SO_PEERCRED). Only the privileged helper loads it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface PeerBinding {
  peerCredentials(fd: number): PeerCredentials;
}

const ADDON_FILE = 'passerelle_peer.node';

/**
 * Where the module is: beside this file (the installed helper is one bundled script with the
 * .node file next to it), else the build folder under the package root (a source checkout).
 */
function addonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, ADDON_FILE);
  if (existsSync(beside)) return beside;
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')))
      return join(dir, 'src', 'native', 'build', 'Release', ADDON_FILE);
    if (dirname(dir) === dir) return beside;
  }
}

let binding: PeerBinding | undefined;

function native(): PeerBinding {
  if (binding) return binding;
  const path = addonPath();
  try {
    binding = createRequire(import.meta.url)(path) as PeerBinding;
  } catch (err) {
    throw new Error(
      `cannot load ${path} (build it with \`npx node-gyp rebuild --directory src/native\`): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return binding;
}

/**
 * The credentials of the peer of an accepted Unix socket connection. Throws when the socket
 * has no file descriptor (it is not a Unix socket, or is already closed): the caller must
 * then refuse the connection, never guess.
 */
export function peerCredentials(socket: Socket): PeerCredentials {
  // net.Socket keeps its libuv handle in _handle; a pipe handle's fd is the accepted socket.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error('the connection has no file descriptor to read its peer credentials from');
  }
  return native().peerCredentials(fd);
}
