// The configuration file from the gateway issue, verbatim (fixtures/example-config.yaml),
// parsed and validated the way `check` and `serve` do it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig, type GatewayConfigFile } from '../../../src/gateway/config/schema.js';

export const EXAMPLE_PATH = join(import.meta.dirname, 'fixtures/example-config.yaml');
export const EXAMPLE_YAML = readFileSync(EXAMPLE_PATH, 'utf8');

export function exampleDocument(): Record<string, unknown> {
  return parse(EXAMPLE_YAML) as Record<string, unknown>;
}

export function exampleConfig(): GatewayConfigFile {
  const result = validateConfig(exampleDocument());
  if (!result.ok) throw new Error(`the example config is refused: ${result.problems.join('; ')}`);
  return result.config;
}
