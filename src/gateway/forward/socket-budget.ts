// Every flow holds a socket towards its target (TCP, UDP; a connect-ip stream counts as one
// too), and each socket is a file descriptor. Without a cap, one logged-in user could open
// sockets until the data plane reaches its descriptor limit, and then nobody can log in or
// open anything (EMFILE). The data plane checks the budget after the policy allowed a flow
// and before its socket exists, per user (all sessions together) and overall
// (src/native/gateway/admission/caps.h); this sizes the overall cap from the open-files limit
// read once with the configuration (src/gateway/front/limits.ts, readDescriptorLimit).
import { MAX_FLOWS } from '../config/schema.js';

/** Share of the descriptor limit flows may use when `limits.flowsTotal` is not set. */
export const FLOW_SHARE_OF_DESCRIPTORS = 0.6;

/**
 * The overall cap on flow sockets: the configured one, or 60 % of the descriptor limit
 * (12,000 of 20,000). The rest is for client connections (each a descriptor too, capped
 * separately), the listeners, the audit log and what Node itself holds, so that the gateway
 * refuses a flow with 429 before the kernel refuses a socket with EMFILE.
 */
export function flowsTotal(configured: number | undefined, limit: number): number {
  if (configured !== undefined) return configured;
  return Math.max(1, Math.min(MAX_FLOWS, Math.floor(limit * FLOW_SHARE_OF_DESCRIPTORS)));
}
