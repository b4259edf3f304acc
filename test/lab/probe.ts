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
