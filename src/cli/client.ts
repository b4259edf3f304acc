#!/usr/bin/env node
// passerelle: the headless client. `passerelle connect URL --user NAME` stays in the
// foreground, prints one line per state change (one JSON object per line with --json), and
// undoes every network change when it stops, whatever signals arrive meanwhile.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TunnelEngine } from '../main/engine/engine.js';
import { GatewayError } from '../main/engine/gateway/errors.js';
import type { EngineErrorReason, EngineState } from '../main/engine/types.js';
import { readSecret } from './read-secret.js';

const USAGE = `usage: passerelle connect URL --user NAME [--password-file FILE] [--otp CODE]
                  [--ca FILE | --pin sha256:…|spki-sha256:…] [--tun NAME] [--mtu N] [--json]`;

/** Exit codes a script can act on. */
export const EXIT: Record<EngineErrorReason | 'ok' | 'usage', number> = {
  ok: 0,
  internal: 1,
  protocol: 1,
  usage: 2,
  'bad-credentials': 3,
  'otp-required': 3,
  'rate-limited': 3,
  'untrusted-certificate': 4,
  'certificate-changed': 4,
  'gateway-unreachable': 5,
  'no-privileges': 6,
  'helper-missing': 6,
};

function describe(state: EngineState): string {
  switch (state.kind) {
    case 'connecting':
      return `connecting to ${state.gateway}: ${state.phase}`;
    case 'connected':
      return `connected to ${state.gateway}${state.intranetIp ? ` (intranet IP ${state.intranetIp})` : ''}`;
    case 'reconnecting':
      return `reconnecting to ${state.gateway} (attempt ${state.attempt}, ${state.cause}): ${state.reason}`;
    case 'error':
      return `error: ${state.message}`;
    case 'disconnected':
      return 'disconnected';
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        user: { type: 'string', short: 'u' },
        'password-file': { type: 'string' },
        otp: { type: 'string' },
        ca: { type: 'string' },
        pin: { type: 'string' },
        tun: { type: 'string' },
        mtu: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const [command, url] = positionals;
  if (command !== 'connect' || !url || !values.user) {
    console.error(USAGE);
    return EXIT.usage;
  }
  if (values.ca && values.pin) {
    console.error('give either --ca or --pin, not both');
    return EXIT.usage;
  }
  let password: string;
  let ca: string | undefined;
  try {
    password = values['password-file']
      ? (readFileSync(values['password-file'], 'utf8').split(/\r?\n/)[0] ?? '')
      : await readSecret(`Password for ${values.user}: `);
    ca = values.ca ? readFileSync(values.ca, 'utf8') : undefined;
  } catch (err) {
    console.error(
      `cannot read ${(err as NodeJS.ErrnoException).path ?? 'a file'}: ${(err as Error).message}`,
    );
    return EXIT.usage;
  }

  const print = (state: EngineState) => {
    if (values.json) console.log(JSON.stringify({ time: new Date().toISOString(), ...state }));
    else console.log(describe(state));
  };
  const mtu = values.mtu === undefined ? undefined : Number(values.mtu);
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 576 || mtu > 65_535)) {
    console.error('--mtu takes a whole number from 576 to 65535');
    return EXIT.usage;
  }
  const engine = new TunnelEngine(mtu === undefined ? {} : { mtu });
  engine.on('state', print);
  engine.on('log', (line) => {
    if (line.level !== 'info') console.error(`${line.level}: ${line.message}`);
  });

  let stop: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  // A terminal that went away (SIGHUP) makes writes fail: that must not end the undo.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  // The first signal disconnects (cancelling a connect under way); a second one, from a user
  // who finds it slow, skips the logout; none skips restoring routes and DNS. Exiting on a
  // later signal, as Node does by default, would leave the intranet DNS in resolv.conf.
  let signals = 0;
  let restored = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    const message =
      signals === 1
        ? 'disconnecting: restoring routes and DNS, then logging out'
        : restored
          ? 'routes and DNS are restored: exiting'
          : signals === 2
            ? 'signal again: skipping the logout; routes and DNS are restored before exit'
            : 'still restoring routes and DNS: exiting as soon as that is done (SIGKILL would leave them for the next start to repair)';
    if (values.json) {
      const line = {
        time: new Date().toISOString(),
        kind: 'signal',
        signal,
        count: signals,
        message,
      };
      console.log(JSON.stringify(line));
    } else console.error(`${signal}: ${message}`);
    const done = () => {
      restored = true;
      stop(EXIT.ok);
    };
    // Undo failures are logged by the engine; the exit must come either way.
    engine.disconnect({ logout: signals === 1 }).then(done, done);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // SIGUSR1 prints the traffic counters (bytes, flows, dropped packets by reason, RTT).
  process.on('SIGUSR1', () => {
    const stats = engine.stats();
    if (values.json)
      console.log(JSON.stringify({ time: new Date().toISOString(), kind: 'stats', ...stats }));
    else console.log(`stats: ${JSON.stringify(stats)}`);
  });
  engine.on('state', (state) => {
    if (state.kind === 'error') stop(EXIT[state.reason]);
  });

  try {
    await engine.connect({
      gatewayUrl: url,
      username: values.user,
      password,
      ...(values.otp ? { otp: values.otp } : {}),
      ...(ca ? { ca } : {}),
      ...(values.pin ? { pin: values.pin } : {}),
      ...(values.tun ? { tunName: values.tun } : {}),
    });
  } catch (err) {
    return err instanceof GatewayError ? EXIT[err.reason] : EXIT.internal;
  }
  const code = await stopped;
  // Already done after a signal; after an error state, whatever is left.
  await engine.disconnect();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Handles the engine may still hold (a DNS lookup in flight) must not keep us alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
