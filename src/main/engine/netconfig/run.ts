// Running iproute2 and resolvectl: execFile (never a shell), a timeout, and errors that name
// the command and carry its stderr.
import { execFile } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the program (SIGKILL) and fail after this many milliseconds. */
  timeoutMs?: number;
}

/** Runs one program with its arguments; rejects with a CommandError. Injectable for tests. */
export type Runner = (
  file: string,
  args: readonly string[],
  options?: RunOptions,
) => Promise<RunResult>;

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Quotes an argument only when needed, for messages (the argv itself never meets a shell). */
function showArg(arg: string): string {
  return /^[\w@%+=:,./~-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(showArg).join(' ');
}

/** A program that could not be started, exited non-zero, was killed, or timed out. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  /** The command line, for people: `ip route add 10.0.0.0/8 dev passerelle0`. */
  readonly command: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly stderr: string;
  readonly stdout: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** errno code when the program could not be started (ENOENT: not installed). */
  readonly code: string | null;

  constructor(init: {
    file: string;
    args: readonly string[];
    stdout?: string;
    stderr?: string;
    exitCode?: number | null;
    signal?: string | null;
    timedOut?: boolean;
    code?: string | null;
    timeoutMs?: number;
  }) {
    const command = formatCommand(init.file, init.args);
    const stderr = (init.stderr ?? '').trim();
    let what: string;
    if (init.timedOut) what = `timed out after ${init.timeoutMs ?? '?'} ms`;
    else if (init.code) what = `could not be started (${init.code})`;
    else if (init.signal) what = `was killed by ${init.signal}`;
    else what = `failed (exit ${init.exitCode ?? '?'})`;
    super(`\`${command}\` ${what}${stderr ? `: ${stderr}` : ''}`);
    this.command = command;
    this.file = init.file;
    this.args = [...init.args];
    this.stdout = init.stdout ?? '';
    this.stderr = stderr;
    this.exitCode = init.exitCode ?? null;
    this.signal = init.signal ?? null;
    this.timedOut = init.timedOut ?? false;
    this.code = init.code ?? null;
  }
}

/**
 * The real runner. LC_ALL=C keeps the tools' messages in English, which is what
 * `isAlreadyGone` recognises.
 */
export function createRunner(defaults: RunOptions = {}): Runner {
  return (file, args, options = {}) => {
    const timeoutMs = options.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<RunResult>((resolve, reject) => {
      execFile(
        file,
        [...args],
        {
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 16 * 1024 * 1024,
          encoding: 'utf8',
          env: { ...process.env, LC_ALL: 'C' },
        },
        (error, stdout, stderr) => {
          if (!error) {
            resolve({ stdout, stderr });
            return;
          }
          const e = error as NodeJS.ErrnoException & {
            code?: string | number | null;
            killed?: boolean;
            signal?: NodeJS.Signals | null;
          };
          const spawnCode = typeof e.code === 'string' ? e.code : null;
          const exitCode = typeof e.code === 'number' ? e.code : null;
          const timedOut = Boolean(e.killed) && e.signal === 'SIGKILL' && exitCode === null;
          reject(
            new CommandError({
              file,
              args,
              stdout,
              stderr,
              exitCode,
              signal: e.signal ?? null,
              timedOut,
              code: spawnCode,
              timeoutMs,
            }),
          );
        },
      );
    });
  };
}

/** Messages iproute2 and resolvectl print when the thing to remove is not there any more. */
const GONE_PATTERNS = [
  /No such process/i, // ESRCH: route not found
  /Cannot find device/i,
  /Device "?[^"\s]*"? does not exist/i,
  /No such device/i, // ENODEV
  /Address not found/i,
  /Cannot assign requested address/i, // EADDRNOTAVAIL: address not on the link
  /Failed to resolve interface/i, // resolvectl, link gone
];

/** True when a removal failed only because what it removes is already gone. */
export function isAlreadyGone(err: unknown): boolean {
  if (err instanceof CommandError) {
    if (err.code !== null || err.timedOut) return false;
    return GONE_PATTERNS.some((re) => re.test(err.stderr));
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT';
}

/** True when an add failed because the same thing already exists. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof CommandError && /File exists/i.test(err.stderr);
}
