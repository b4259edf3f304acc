// Host network configuration for the client engine (Linux): addresses, MTU, routes and DNS on
// the TUN device, recorded for undo and crash recovery. Plain Node, no Electron.
export {
  CommandError,
  createRunner,
  isAlreadyGone,
  isAlreadyExists,
  formatCommand,
} from './run.js';
export type { Runner, RunOptions, RunResult } from './run.js';
export { NetworkSetup, NetworkSetupError, checkPlan } from './setup.js';
export type {
  AppliedSetup,
  DnsMode,
  HostRouteRefresh,
  NetworkPlan,
  NetworkSetupOptions,
} from './setup.js';
export { gatewayPath, type MainRoute } from './gateway-path.js';
export { recoverStale } from './recover.js';
export type { RecoverOptions, RecoveryReport } from './recover.js';
export { checkPrivileges, hasCapability, parseCapEff, CAP_NET_ADMIN } from './privileges.js';
export type { PrivilegeCheck } from './privileges.js';
export { DEFAULT_STATE_DIR, stateFilePath } from './state.js';
export type { NetState } from './state.js';
export {
  resolvectlApplyCommands,
  resolvectlRevertCommand,
  resolvedUsable,
  type DnsSettings,
} from './dns-resolved.js';
export {
  DEFAULT_RESOLV_CONF,
  RESOLV_MARKER,
  renderResolvConf,
  hasMarker,
} from './dns-resolvconf.js';
export { IpRoute2, parseRouteGetJson, parseLinkJson, type HostRoute } from './routes.js';
