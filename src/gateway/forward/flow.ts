// One record per flow: counts it in the metrics while it is open and writes its audit line
// (verdict, bytes each way, duration) once when it ends.
import type { ProxyError } from '../../shared/protocol/proxy-status.js';
import type { Protocol } from '../../shared/protocol/session.js';
import type { GatewayContext } from '../context.js';
import type { Decision } from '../policy.js';
import type { Session } from '../sessions.js';
import type { SocketLease } from './socket-budget.js';

export interface FlowTarget {
  protocol: Protocol;
  /** The address the gateway talks to (after name resolution). */
  destination: string;
  port?: number;
}

export class FlowRecord {
  bytesUp = 0;
  bytesDown = 0;
  private readonly started = Date.now();
  private ended = false;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly session: Session,
    private readonly target: FlowTarget,
    private readonly decision: Decision,
  ) {
    session.flows++;
    ctx.metrics.flowsActive.inc({ protocol: target.protocol });
  }

  /** Ends the flow once; `error` is the proxy-status error token when it failed. */
  end(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.session.flows--;
    const { protocol } = this.target;
    const { metrics } = this.ctx;
    metrics.flowsActive.dec({ protocol });
    metrics.flows.inc({ protocol, verdict: error ? 'error' : 'allow' });
    if (this.bytesUp) metrics.bytes.inc({ protocol, direction: 'up' }, this.bytesUp);
    if (this.bytesDown) metrics.bytes.inc({ protocol, direction: 'down' }, this.bytesDown);
    this.ctx.audit.write({
      ...auditBase(this.session, this.target),
      verdict: error ? 'error' : 'allow',
      policy: this.decision.policy,
      resource: this.decision.resource,
      ...(error ? { error } : {}),
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      durationMs: Date.now() - this.started,
    });
  }
}

function auditBase(session: Session, target: FlowTarget) {
  return {
    event: 'flow' as const,
    user: session.user,
    session: session.id,
    sourceIp: session.sourceIp,
    intranetIp: session.intranetIp,
    protocol: target.protocol,
    destination: target.destination,
    ...(target.port !== undefined ? { port: target.port } : {}),
  };
}

/**
 * Runs `open` holding a place under the session's flow cap. The cap is checked before the
 * target is resolved and connected; without the reservation a burst of CONNECTs would all
 * pass the check before the first of them is counted.
 */
export async function withReservedFlow<T>(session: Session, open: () => Promise<T>): Promise<T> {
  session.flows++;
  try {
    return await open();
  } finally {
    session.flows--;
  }
}

export interface Refusal {
  ok: false;
  status: number;
  error: ProxyError;
  details: string;
}

/**
 * Takes a place for the flow's target socket under the per-user and overall caps; past
 * either, the flow is refused with 429 and counted.
 */
export function reserveSocket(
  ctx: GatewayContext,
  session: Session,
): { ok: true; lease: SocketLease } | Refusal {
  const grant = ctx.sockets.acquire(session.user);
  if (grant.ok) return grant;
  ctx.metrics.refusedStreams.inc({ limit: grant.limit });
  return { ok: false, status: 429, error: 'connection_limit_reached', details: grant.details };
}

/** Counts and audits a flow the policy refused; nothing was opened. */
export function recordDenied(
  ctx: GatewayContext,
  session: Session,
  target: FlowTarget,
  decision: Decision,
): void {
  ctx.metrics.flows.inc({ protocol: target.protocol, verdict: 'deny' });
  ctx.audit.write({
    ...auditBase(session, target),
    verdict: 'deny',
    policy: decision.policy,
    resource: decision.resource,
    ...(decision.reserved ? { reserved: decision.reserved } : {}),
    bytesUp: 0,
    bytesDown: 0,
    durationMs: 0,
  });
}

/** Counts and audits a flow that policy allowed but that could not be opened. */
export function recordFailed(
  ctx: GatewayContext,
  session: Session,
  target: FlowTarget,
  decision: Decision,
  error: string,
): void {
  new FlowRecord(ctx, session, target, decision).end(error);
}
