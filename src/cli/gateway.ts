#!/usr/bin/env node
// passerelle-gateway: serve, check a configuration, or hash a password for the users file.
import { parseArgs } from 'node:util';
import { hashPassword } from '../gateway/auth/password.js';
import { ConfigError } from '../gateway/config/errors.js';
import { loadConfig } from '../gateway/config/load.js';
import { startGateway } from '../gateway/server.js';
import { readSecret } from './read-secret.js';

const USAGE = `usage:
  passerelle-gateway serve --config FILE     run the gateway
  passerelle-gateway check --config FILE     validate FILE (exit 0), or list its problems (exit 2)
  passerelle-gateway hash-password           read a password on stdin, print its hash for the users file`;

function printProblems(err: ConfigError): void {
  console.error(
    `${err.file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`,
  );
  for (const problem of err.problems) console.error(`  ${problem}`);
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 64;
  }
  if (command === 'hash-password') {
    const password = await readSecret('Password: ');
    if (!password) {
      console.error('hash-password: empty password');
      return 64;
    }
    console.log(await hashPassword(password));
    return 0;
  }
  if (command !== 'serve' && command !== 'check') {
    console.error(`unknown command "${command}"\n${USAGE}`);
    return 64;
  }
  if (!values.config) {
    console.error(`${command}: --config FILE is required`);
    return 64;
  }
  if (command === 'check') {
    try {
      const loaded = await loadConfig(values.config);
      console.log(
        `${loaded.path}: OK (${loaded.file.resources.length} resources, ${loaded.file.policies.length} policies)`,
      );
      return 0;
    } catch (err) {
      if (err instanceof ConfigError) {
        printProblems(err);
        return 2;
      }
      throw err;
    }
  }

  let gateway;
  try {
    gateway = await startGateway(values.config, {
      // The data plane keeps dying: exit non-zero so that the supervisor restarts everything.
      onFatal: () => process.exit(1),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      printProblems(err);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    console.error(`serve: cannot start: ${e.code ?? ''} ${e.message}`);
    return 1;
  }
  const { address, port } = gateway.address();
  console.log(`passerelle-gateway listening on ${address}:${port}`);
  console.log(`certificate sha256 fingerprint: ${gateway.context.settings.tls.fingerprint256}`);
  const plane = gateway.dataPlane();
  if (plane) {
    console.log(
      `data plane: pid ${plane.pid}, ${plane.threads} worker threads, ${plane.openssl}, nghttp2 ${plane.nghttp2}`,
    );
  }
  const metrics = gateway.metricsAddress();
  if (metrics) console.log(`metrics on http://${metrics.address}:${metrics.port}/metrics`);

  process.on('SIGHUP', () => {
    gateway.reload().then(
      (result) => {
        if (result.ok) console.log('configuration reloaded');
        else {
          console.error('reload refused, the running configuration stays:');
          for (const problem of result.problems) console.error(`  ${problem}`);
        }
      },
      (err: Error) => console.error(`reload failed: ${err.message}`),
    );
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('shutting down');
  await gateway.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  },
);
