// Starts the headless client (`passerelle connect`, the built CLI) in the lab's client
// namespace and follows its JSON state lines.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineStats } from '../main/engine/types.js';
import { ROOT, USERS, type GatewayLab } from './gateway-lab.js';
import { waitFor } from './netns.js';

export const CLIENT_CLI = join(ROOT, 'dist/cli/client.js');

export interface RunningClient {
  child: ChildProcess;
  output: () => string;
  states: () => { kind: string; [key: string]: unknown }[];
  /** Resolves with the exit code. */
  exited: Promise<number>;
  waitForState(kind: string, timeoutMs?: number): Promise<void>;
  /** Sends SIGUSR1 and resolves with the counters the client prints for it. */
  stats(): Promise<EngineStats>;
}

export function startClient(
  g: GatewayLab,
  options: {
    user?: keyof typeof USERS;
    password?: string;
    extraArgs?: string[];
    trust?: 'ca' | 'none';
    /** The gateway URL to give; the lab gateway's address by default. */
    url?: string;
  } = {},
): RunningClient {
  const user = options.user ?? 'alice';
  const passwordFile = join(g.dir, `password-${user}`);
  writeFileSync(passwordFile, `${options.password ?? USERS[user].password}\n`, { mode: 0o600 });
  const trust = options.trust === 'none' ? [] : ['--ca', g.pki.caCert];
  const child = g.lab.spawn(g.lab.client, [
    'node',
    CLIENT_CLI,
    'connect',
    options.url ?? g.url,
    '--user',
    user,
    '--password-file',
    passwordFile,
    '--json',
    ...trust,
    ...(options.extraArgs ?? []),
  ]);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  const states = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { kind: string });
  return {
    child,
    output: () => output,
    states,
    exited,
    async stats() {
      const before = output.length;
      child.kill('SIGUSR1');
      const line = () =>
        output
          .slice(before)
          .split('\n')
          .find((l) => l.includes('"kind":"stats"') && l.endsWith('}'));
      await waitFor('a stats line', () => line() !== undefined);
      return JSON.parse(line() as string) as EngineStats;
    },
    async waitForState(kind, timeoutMs = 15_000) {
      await waitFor(
        `client state ${kind} (output so far: ${output})`,
        () => states().some((s) => s.kind === kind),
        timeoutMs,
      );
    },
  };
}
