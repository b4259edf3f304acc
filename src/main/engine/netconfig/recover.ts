// Crash recovery: at the next start, revert whatever a killed engine left behind, from the state
// files in the state directory. Idempotent: what is already gone is not an error.
import { combineErrors, revertState } from './revert.js';
import { createRunner, type Runner } from './run.js';
import { DEFAULT_STATE_DIR, listStateFiles, ownerAlive, readState, removeState } from './state.js';

export interface RecoverOptions {
  run?: Runner;
  timeoutMs?: number;
  log?: (message: string) => void;
}

export interface RecoveryReport {
  /** State files whose changes were reverted (and which were then deleted). */
  recovered: { tunName: string; stateFile: string; ownerPid: number }[];
  /** State files left alone because their owner is still running. */
  skipped: { tunName: string; stateFile: string; ownerPid: number }[];
  /** Failures other than "already gone"; the state files concerned are kept for another try. */
  errors: Error[];
}

/**
 * Reverts every stale state file in `stateDir`: routes and the host route deleted if still
 * present, resolv.conf restored if it still carries our marker, resolved settings reverted, the
 * TUN link deleted if it still exists. Call it before creating the TUN device.
 */
export async function recoverStale(
  stateDir: string = DEFAULT_STATE_DIR,
  options: RecoverOptions = {},
): Promise<RecoveryReport> {
  const run =
    options.run ??
    createRunner(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  const report: RecoveryReport = { recovered: [], skipped: [], errors: [] };
  for (const stateFile of await listStateFiles(stateDir)) {
    let state;
    try {
      state = await readState(stateFile);
    } catch (err) {
      report.errors.push(err instanceof Error ? err : new Error(String(err)));
      continue;
    }
    if (!state) continue; // removed meanwhile
    const entry = { tunName: state.tunName, stateFile, ownerPid: state.owner.pid };
    if (ownerAlive(state.owner)) {
      report.skipped.push(entry);
      continue;
    }
    options.log?.(`recovering ${state.tunName} left by process ${state.owner.pid}`);
    const errors = await revertState(state, {
      run,
      deleteLink: true,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.log ? { log: options.log } : {}),
    });
    const error = combineErrors(errors, `recovering ${state.tunName} from ${stateFile}`);
    if (error) {
      report.errors.push(error);
      continue;
    }
    await removeState(stateFile);
    report.recovered.push(entry);
  }
  return report;
}
