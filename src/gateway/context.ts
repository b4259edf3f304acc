// What every request handler of the gateway shares. Reload (SIGHUP) swaps `settings` and
// `policy` in place, so handlers read them per request and never keep a copy.
import type { AuditLog } from './audit.js';
import type { LoadedConfig } from './config/load.js';
import type { SocketBudget } from './forward/socket-budget.js';
import type { GatewayMetrics } from './metrics.js';
import type { Policy } from './policy.js';
import type { SessionManager } from './sessions.js';

export interface GatewayContext {
  settings: LoadedConfig;
  policy: Policy;
  sessions: SessionManager;
  audit: AuditLog;
  metrics: GatewayMetrics;
  /** Target sockets held by flows, per user and overall. */
  sockets: SocketBudget;
}
