// The engine's entry point for the CLI and the desktop shell.
import { TunnelEngine, type EngineOptions } from './engine.js';
import type { Engine } from './types.js';

export { TunnelEngine, type EngineOptions } from './engine.js';
export type * from './types.js';

export function createEngine(options: EngineOptions = {}): Engine {
  return new TunnelEngine(options);
}
