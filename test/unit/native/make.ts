// Runs a target of a native test Makefile (src/native/test, src/native/gateway/test) outside
// Node, bounded in time; FUZZ_SECONDS passes through (10 by default).
import { spawnSync } from 'node:child_process';

const FUZZ_SECONDS = process.env['FUZZ_SECONDS'] ?? '10';

export function make(directory: string, target: string): { status: number | null; output: string } {
  const run = spawnSync('make', ['-s', '-C', directory, target, `FUZZ_SECONDS=${FUZZ_SECONDS}`], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}
