#!/usr/bin/env node
// passerelle-helper: the privileged helper service (src/helper/server.ts). Installed as the
// systemd unit passerelle-helper.service (build/linux/), it runs as root with CAP_NET_ADMIN as
// its only capability. On SIGTERM or SIGINT it undoes everything for every caller, then exits.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { HelperServer } from '../helper/server.js';
import { peerCredentials } from '../native/unix-peer.js';
import { DEFAULT_HELPER_SOCKET } from '../shared/helper-protocol.js';

const USAGE = `usage: passerelle-helper [--socket PATH] [--state-dir DIR] [--resolv-conf FILE]
  --socket       where to listen (default ${DEFAULT_HELPER_SOCKET})
  --state-dir    crash-repair records (default: "state" beside the socket)
  --resolv-conf  the resolv.conf managed without systemd-resolved (default /etc/resolv.conf)`;

function log(line: string): void {
  // One line per event on stderr: journald stamps and keeps it.
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        socket: { type: 'string' },
        'state-dir': { type: 'string' },
        'resolv-conf': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const socketPath = values.socket ?? DEFAULT_HELPER_SOCKET;
  const server = new HelperServer({
    socketPath,
    stateDir: values['state-dir'] ?? join(socketPath, '..', 'state'),
    credentials: peerCredentials,
    log,
    ...(values['resolv-conf'] ? { resolvConfPath: values['resolv-conf'] } : {}),
  });
  await server.start();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log('stopping: undoing every tunnel');
  await server.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`passerelle-helper: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
