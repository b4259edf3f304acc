// Where the shell gets its tunnel engine: the same Electron-free engine the CLI runs.
import { createEngine } from '../engine/index.js';
import type { Engine } from '../engine/types.js';

export async function loadEngine(): Promise<Engine> {
  return createEngine();
}
