// Runs a scenario of the standard HTTP/2 test client (fixtures/h2-probe.mjs) inside the lab's
// client namespace and returns the JSON it printed.
import { join } from 'node:path';
import { ROOT, type GatewayLab } from './gateway-lab.js';

const PROBE = join(ROOT, 'test/lab/fixtures/h2-probe.mjs');

export async function runProbe(
  g: GatewayLab,
  scenario: string,
  args: object,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const r = await g.lab.exec(
    g.lab.client,
    ['node', PROBE, g.url, g.pki.caCert, scenario, JSON.stringify(args)],
    { timeoutMs },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`probe ${scenario} printed ${JSON.stringify(r.stdout)} ${r.stderr}`);
  }
}

export interface RunningProbe {
  /** The first JSON line the scenario printed (e.g. openMany's "every stream answered"). */
  first: Promise<Record<string, unknown>>;
  /** Closes the probe's stdin: a scenario that holds its tunnels lets them go. */
  release(): void;
  /** The last JSON line, once the probe exited. */
  done: Promise<Record<string, unknown>>;
}

/** Starts a scenario and returns at once, for tests that look at the gateway meanwhile. */
export function spawnProbe(g: GatewayLab, scenario: string, args: object): RunningProbe {
  const child = g.lab.spawn(g.lab.client, [
    'node',
    PROBE,
    g.url,
    g.pki.caCert,
    scenario,
    JSON.stringify(args),
  ]);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = (): string[] => stdout.split('\n').filter((line) => line.trim() !== '');
  const parse = (line: string | undefined): Record<string, unknown> => {
    try {
      return JSON.parse(line ?? '') as Record<string, unknown>;
    } catch {
      throw new Error(`probe ${scenario} printed ${JSON.stringify(stdout)} ${stderr}`);
    }
  };
  const first = new Promise<Record<string, unknown>>((resolve, reject) => {
    const onData = (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) {
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (more: Buffer) => (stdout += more.toString()));
        try {
          resolve(parse(lines()[0]));
        } catch (err) {
          reject(err as Error);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', () => {
      if (!stdout.includes('\n'))
        reject(new Error(`probe ${scenario} exited without output: ${stderr}`));
    });
  });
  const done = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', () => {
      try {
        resolve(parse(lines().at(-1)));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
  // The caller may only ever await one of them.
  first.catch(() => undefined);
  done.catch(() => undefined);
  return { first, done, release: () => child.stdin?.end() };
}
