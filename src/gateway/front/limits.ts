// How big the front door is. The caps that have no fixed default are sized when the
// configuration is loaded, from the descriptors this process may open and its CPUs, so that
// the gateway refuses a connection before the kernel refuses it a descriptor (EMFILE would
// fail logins and established sessions' new flows alike).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { GatewayConfigFile } from '../config/schema.js';

/**
 * Descriptors kept for the gateway itself whatever the load: standard streams, the event
 * loop, the listeners, the audit log, metrics scrapes, the password workers, DNS sockets.
 */
export const DESCRIPTOR_RESERVE = 128;
/**
 * Client connections take at most this share of the rest. Flow sockets have their own cap
 * (60 % of the limit): together with the reserve they stay under the limit.
 */
export const CONNECTION_SHARE = 0.25;
/** Above this many, memory (tens of KiB per TLS connection) is the tighter bound. */
export const MAX_AUTO_CONNECTIONS = 16_384;
/** Where the descriptor limit cannot be read (not Linux): the usual soft limit. */
const FALLBACK_DESCRIPTOR_LIMIT = 1024;

/** The front door's limits as the gateway applies them: every one a number. */
export interface FrontLimits {
  /** The soft RLIMIT_NOFILE these were sized for. */
  descriptorLimit: number;
  connections: number;
  connectionsPerSource: number;
  unauthenticatedConnections: number;
  unauthenticatedConnectionsPerSource: number;
  unauthenticatedStreams: number;
  unauthenticatedBytesPerConnection: number;
  unauthenticatedBytes: number;
  loginVerifications: number;
  loginQueue: number;
  handshakeMs: number;
  requestMs: number;
}

/**
 * The soft limit on open files of this process, from /proc/self/limits ("Max open files
 * 20000 20000 files"); Node has no getrlimit. `text` is for tests.
 */
export function readDescriptorLimit(text?: string): number {
  let limits = text;
  if (limits === undefined) {
    try {
      limits = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return FALLBACK_DESCRIPTOR_LIMIT;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  if (soft === undefined) return FALLBACK_DESCRIPTOR_LIMIT;
  return soft === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(soft);
}

/** The descriptors left for connections and flows once the gateway's own are set aside. */
export function descriptorBudget(descriptorLimit: number): number {
  return Math.max(0, descriptorLimit - DESCRIPTOR_RESERVE);
}

/**
 * The limits in force for a configuration on this machine, and what cannot be honoured
 * (as "path: reason" problems, reported like any other configuration problem).
 */
export function resolveFrontLimits(
  file: GatewayConfigFile,
  descriptorLimit = readDescriptorLimit(),
  cpus = availableParallelism(),
): { limits: FrontLimits; problems: string[] } {
  const problems: string[] = [];
  const configured = file.limits;
  const budget = descriptorBudget(descriptorLimit);
  const connections =
    configured.connections ??
    Math.max(1, Math.min(MAX_AUTO_CONNECTIONS, Math.floor(budget * CONNECTION_SHARE)));
  if (connections > budget) {
    problems.push(
      `limits.connections: ${connections} is more than this process can open: its descriptor ` +
        `limit (ulimit -n) is ${descriptorLimit}, ${DESCRIPTOR_RESERVE} of them kept for the ` +
        `gateway itself`,
    );
  }
  const unauthenticatedConnections =
    configured.unauthenticatedConnections ?? Math.max(1, Math.floor(connections / 2));
  if (unauthenticatedConnections > connections) {
    problems.push(
      `limits.unauthenticatedConnections: ${unauthenticatedConnections} is more than ` +
        `limits.connections (${connections})`,
    );
  }
  return {
    limits: {
      descriptorLimit,
      connections,
      connectionsPerSource: configured.connectionsPerSource,
      unauthenticatedConnections,
      unauthenticatedConnectionsPerSource: configured.unauthenticatedConnectionsPerSource,
      unauthenticatedStreams: configured.unauthenticatedStreams,
      unauthenticatedBytesPerConnection: configured.unauthenticatedBytesPerConnection,
      unauthenticatedBytes: configured.unauthenticatedBytes,
      // Half the CPUs at most verify passwords, so a login flood leaves the rest to the
      // tunnels.
      loginVerifications: configured.loginVerifications ?? Math.max(1, Math.floor(cpus / 2)),
      loginQueue: configured.loginQueue,
      handshakeMs: file.timeouts.handshakeSeconds * 1000,
      requestMs: file.timeouts.requestSeconds * 1000,
    },
    problems,
  };
}
