// The control plane's side of the native data plane (docs/gateway-dataplane.md): keeps its
// tables in step with the sessions and the policy, answers what it asks (API requests, name
// resolutions), turns its event batches into audit lines and metrics, and starts it again
// when it dies. Bytes never come here; only decisions go down and events come up.
import { formatIPv4, parseIPv4 } from '../shared/net/ipv4.js';
import type { Protocol } from '../shared/protocol/session.js';
import {
  DataPlane,
  type ApiRequestMessage,
  type CannedAnswers,
  type DataPlaneConfig,
  type DataPlaneEvent,
  type DataPlaneLimits,
  type FlowEndEvent,
  type WireAnswer,
} from '../native/gateway.js';
import type { AuditEvent } from './audit.js';
import type { LoadedConfig } from './config/load.js';
import type { GatewayContext } from './context.js';
import { flowsTotal } from './forward/socket-budget.js';
import {
  bytesRefusal,
  handleApi,
  PAYLOAD_TOO_LARGE,
  REQUEST_TIMEOUT,
  type ApiDeps,
  type ApiResponse,
} from './http/api.js';
import type { ReservedDestinations } from './reserved.js';
import { resolveName } from './resolve.js';
import type { Session } from './sessions.js';

/** Crashes within CRASH_WINDOW_MS past which the gateway gives up (and systemd restarts it). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

/** A flow's audit line as an event (what `audit.write` takes). */
export function flowAuditEvent(session: Session, event: FlowEndEvent): AuditEvent {
  return {
    event: 'flow',
    user: session.user,
    session: session.id,
    sourceIp: session.sourceIp,
    intranetIp: session.intranetIp,
    protocol: event.protocol,
    destination: formatFlowDestination(event),
    ...(event.port !== undefined ? { port: event.port } : {}),
    verdict: event.verdict,
    policy: event.policy,
    resource: event.resource,
    ...(event.reserved ? { reserved: event.reserved } : {}),
    ...(event.error ? { error: event.error } : {}),
    bytesUp: event.bytesUp,
    bytesDown: event.bytesDown,
    durationMs: event.durationMs,
  };
}

/** The session's part of its flow lines, serialized (cached per session by the caller). */
export function flowAuditPrefix(session: Session): string {
  return (
    `"event":"flow","user":${JSON.stringify(session.user)},` +
    `"session":${JSON.stringify(session.id)},"sourceIp":${JSON.stringify(session.sourceIp)},` +
    `"intranetIp":${JSON.stringify(session.intranetIp)},`
  );
}

/**
 * The same line as `flowAuditEvent` serialized by `audit.write` (same keys, same order,
 * without the time and the opening brace), built from the cached prefix: thousands of flows
 * a second end here.
 */
export function flowAuditFields(prefix: string, event: FlowEndEvent): string {
  return (
    `${prefix}"protocol":"${event.protocol}","destination":"${formatFlowDestination(event)}",` +
    (event.port !== undefined ? `"port":${event.port},` : '') +
    `"verdict":"${event.verdict}","policy":${event.policy},` +
    `"resource":${event.resource === null ? 'null' : JSON.stringify(event.resource)},` +
    (event.reserved ? `"reserved":${JSON.stringify(event.reserved)},` : '') +
    (event.error ? `"error":${JSON.stringify(event.error)},` : '') +
    `"bytesUp":${event.bytesUp},"bytesDown":${event.bytesDown},"durationMs":${event.durationMs}}`
  );
}

/** A flow's destination for the audit line: an address, or a range refused as a whole. */
function formatFlowDestination(event: FlowEndEvent): string {
  const address = formatIPv4(event.destination);
  return event.prefix < 32 ? `${address}/${event.prefix}` : address;
}

/** An API answer as both HTTP versions send it: `cache-control`, its headers, JSON. */
export function wireAnswer(response: ApiResponse): WireAnswer {
  const headers: [string, string][] = [['cache-control', 'no-store']];
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    headers.push([name.toLowerCase(), value]);
  }
  if (response.body === undefined)
    return { status: response.status, headers, body: Buffer.alloc(0) };
  headers.push(['content-type', 'application/json']);
  return { status: response.status, headers, body: Buffer.from(JSON.stringify(response.body)) };
}

/** The answers for limits, written here once so that both ends give the same bytes. */
function cannedAnswers(): CannedAnswers {
  return {
    payloadTooLarge: wireAnswer(PAYLOAD_TOO_LARGE),
    requestTimeout: wireAnswer(REQUEST_TIMEOUT),
    tooManyRequests: wireAnswer(bytesRefusal('unauthenticated-bytes-per-connection')),
    busy: wireAnswer(bytesRefusal('unauthenticated-bytes')),
  };
}

/**
 * What the data plane needs from the configuration file. `descriptors` is the open-files
 * limit the caps are sized from (the data plane's is the same or higher: it raises its soft
 * limit to the hard one).
 */
export function dataPlaneConfig(settings: LoadedConfig, descriptors: number): DataPlaneConfig {
  const file = settings.file;
  const front = settings.front;
  const limits: DataPlaneLimits = {
    streamsPerSession: file.limits.streamsPerSession,
    sessionMemoryBytes: file.limits.sessionMemoryMiB * 1024 * 1024,
    maxRequestBodyBytes: file.limits.maxRequestBodyBytes,
    connections: front.connections,
    connectionsPerSource: front.connectionsPerSource,
    unauthenticatedConnections: front.unauthenticatedConnections,
    unauthenticatedConnectionsPerSource: front.unauthenticatedConnectionsPerSource,
    handshakeTimeoutMs: front.handshakeMs,
    requestTimeoutMs: front.requestMs,
    unauthenticatedStreams: front.unauthenticatedStreams,
    unauthenticatedBytesPerConnection: front.unauthenticatedBytesPerConnection,
    unauthenticatedBytes: front.unauthenticatedBytes,
    flowsTotal: flowsTotal(file.limits.flowsTotal, descriptors),
    flowsPerUser: file.limits.flowsPerUser,
    tcpConnectTimeoutMs: file.timeouts.tcpConnectSeconds * 1000,
    udpIdleTimeoutMs: file.timeouts.udpIdleSeconds * 1000,
    keepaliveIntervalMs: file.timeouts.keepaliveSeconds * 1000,
    streamWindowBytes: file.flowControl.streamWindowBytes,
    connectionWindowBytes: file.flowControl.connectionWindowBytes,
  };
  return {
    listenHost: file.listen.host,
    listenPort: file.listen.port,
    threads: file.dataPlane.threads,
    tlsMinVersion: file.tls.minVersion === 'TLSv1.3' ? 13 : 12,
    certificate: settings.tls.cert,
    key: settings.tls.key,
    limits,
    canned: cannedAnswers(),
  };
}

interface Subject {
  handle: number;
  sessions: number;
}

export class DataPlaneLink {
  #plane: DataPlane | undefined;
  #closing = false;
  #crashes: number[] = [];
  #nextHandle = 1;
  /** Live sessions by the handle the data plane knows them by. */
  readonly #sessions = new Map<number, Session>();
  readonly #handles = new Map<Session, number>();
  /** Ended sessions whose last flows may still be reported (until SESSION_DROPPED). */
  readonly #retired = new Map<number, Session>();
  readonly #subjects = new Map<string, Subject>();
  readonly #tokenHashes = new Map<Session, string>();

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: ApiDeps,
    private readonly reserved: ReservedDestinations,
    /** The open-files limit the caps are sized from. */
    private readonly descriptors: number,
    /** The data plane cannot be kept running: the gateway must stop (systemd restarts it). */
    private readonly onFatal: (reason: string) => void,
  ) {}

  get port(): number {
    return this.#plane?.info.port ?? 0;
  }

  get info() {
    return this.#plane?.info;
  }

  async start(): Promise<void> {
    this.#plane = await DataPlane.start(dataPlaneConfig(this.ctx.settings, this.descriptors), {
      apiRequest: (request) => this.#onApiRequest(request),
      resolve: (id, host) => this.#onResolve(id, host),
      events: (events) => this.#onEvents(events),
      exit: (reason) => this.#onExit(reason),
    });
    this.pushReserved();
    // After a restart: the tables again, for the sessions that outlived the crash.
    for (const session of this.#sessions.values()) this.#pushSession(session);
  }

  /** The reserved destinations as they are now (the gateway's own addresses change). */
  pushReserved(): void {
    this.#plane?.putReserved(
      this.reserved
        .all()
        .map((block) => ({ network: block.cidr.network, mask: block.cidr.mask, kind: block.kind })),
    );
  }

  /** A new session: its subject (the user's compiled policy) and its token hash go down. */
  sessionStarted(session: Session, tokenHash: string): void {
    const handle = this.#nextHandle++;
    this.#sessions.set(handle, session);
    this.#handles.set(session, handle);
    this.#tokenHashes.set(session, tokenHash);
    const subject = this.#subjects.get(session.user);
    if (subject) subject.sessions++;
    else this.#subjects.set(session.user, { handle: this.#nextHandle++, sessions: 1 });
    this.#pushSession(session);
  }

  #pushSession(session: Session): void {
    const plane = this.#plane;
    const handle = this.#handles.get(session);
    const subject = this.#subjects.get(session.user);
    const tokenHash = this.#tokenHashes.get(session);
    if (!plane || handle === undefined || !subject || tokenHash === undefined) return;
    plane.putSubject(subject.handle, this.ctx.policy.compileFor(session));
    plane.addSession({
      handle,
      subject: subject.handle,
      tokenHash: Buffer.from(tokenHash, 'hex'),
      expiresAt: session.expiresAt,
      intranetIp: session.intranetIp === null ? null : parseIPv4(session.intranetIp),
    });
  }

  /** The session ended: the data plane ends its flows (reported before SESSION_DROPPED). */
  sessionEnded(session: Session): void {
    const handle = this.#handles.get(session);
    if (handle === undefined) return;
    this.#handles.delete(session);
    this.#sessions.delete(handle);
    this.#tokenHashes.delete(session);
    this.#retired.set(handle, session);
    this.#plane?.dropSession(handle);
    const subject = this.#subjects.get(session.user);
    if (subject && --subject.sessions <= 0) {
      this.#subjects.delete(session.user);
      this.#plane?.dropSubject(subject.handle);
    }
  }

  /** After a reload: new TLS context and limits, and every subject's rules again. */
  async reconfigure(settings: LoadedConfig): Promise<void> {
    const plane = this.#plane;
    if (!plane) return;
    await plane.configure(dataPlaneConfig(settings, this.descriptors));
  }

  /** Pushes every subject's rules again (the policy or a user's groups changed). */
  pushPolicies(): void {
    const plane = this.#plane;
    if (!plane) return;
    const done = new Set<string>();
    for (const session of this.#sessions.values()) {
      if (done.has(session.user)) continue;
      done.add(session.user);
      const subject = this.#subjects.get(session.user);
      if (subject) plane.putSubject(subject.handle, this.ctx.policy.compileFor(session));
    }
  }

  async shutdown(): Promise<void> {
    this.#closing = true;
    await this.#plane?.shutdown();
    this.#plane = undefined;
  }

  #onExit(reason: string): void {
    this.#plane = undefined;
    if (this.#closing) return;
    const now = Date.now();
    this.#crashes = this.#crashes.filter((t) => now - t < CRASH_WINDOW_MS);
    this.#crashes.push(now);
    // Flows the dead process had are gone; nobody will report them.
    this.#retired.clear();
    for (const protocol of ['tcp', 'udp', 'icmp'] as const) {
      this.ctx.metrics.flowsActive.set({ protocol }, 0);
    }
    this.ctx.metrics.flowSockets.set(0);
    this.ctx.metrics.connections.set({ state: 'unauthenticated' }, 0);
    this.ctx.metrics.connections.set({ state: 'authenticated' }, 0);
    this.ctx.metrics.unauthenticatedBytes.set(0);
    if (this.#crashes.length >= MAX_CRASHES) {
      console.error(
        `gateway: the data plane stopped (${reason}), ${this.#crashes.length} times within ` +
          `${CRASH_WINDOW_MS / 1000} s; giving up`,
      );
      this.onFatal(reason);
      return;
    }
    console.error(`gateway: the data plane stopped (${reason}); starting it again`);
    const delay = 200 * 2 ** (this.#crashes.length - 1);
    setTimeout(() => {
      if (this.#closing) return;
      this.start().catch((err: Error) => this.#onExit(err.message));
    }, delay).unref();
  }

  #onApiRequest(request: ApiRequestMessage): void {
    handleApi(this.ctx, this.deps, {
      method: request.method,
      path: request.path,
      authorization: request.authorization,
      contentType: request.contentType,
      body: request.body,
      sourceIp: request.sourceIp,
    }).then(
      (response) =>
        this.#plane?.respond(request.id, wireAnswer(response), response.authenticated === true),
      (err: Error) => {
        console.error(`gateway: internal error: ${err.stack ?? err.message}`);
        this.#plane?.respond(request.id, wireAnswer({ status: 500 }), false);
      },
    );
  }

  #onResolve(id: bigint, host: string): void {
    void resolveName(host).then((result) => this.#plane?.resolved(id, result));
  }

  #onEvents(events: DataPlaneEvent[]): void {
    const { metrics } = this.ctx;
    // Counted per batch: one metric update per label set, not one per flow.
    const opened = new Map<Protocol, number>();
    const ended = new Map<Protocol, number>();
    const flows = new Map<string, number>();
    const bytes = new Map<string, number>();
    const add = (map: Map<string, number>, key: string, n: number) =>
      map.set(key, (map.get(key) ?? 0) + n);
    for (const event of events) {
      switch (event.kind) {
        case 'flowOpen':
          opened.set(event.protocol, (opened.get(event.protocol) ?? 0) + 1);
          break;
        case 'flowEnd':
          if (event.opened) ended.set(event.protocol, (ended.get(event.protocol) ?? 0) + 1);
          add(flows, `${event.protocol}/${event.verdict}`, 1);
          if (event.bytesUp) add(bytes, `${event.protocol}/up`, event.bytesUp);
          if (event.bytesDown) add(bytes, `${event.protocol}/down`, event.bytesDown);
          this.#audit(event);
          break;
        case 'counter':
          this.#count(event.family, event.name, event.delta);
          break;
        case 'gauge':
          this.#gauge(event.name, event.value);
          break;
        case 'sessionDropped':
          this.#retired.delete(event.session);
          break;
      }
    }
    for (const [protocol, n] of opened) metrics.flowsActive.inc({ protocol }, n);
    for (const [protocol, n] of ended) metrics.flowsActive.dec({ protocol }, n);
    for (const [key, n] of flows) {
      const [protocol, verdict] = key.split('/') as [string, string];
      metrics.flows.inc({ protocol, verdict }, n);
    }
    for (const [key, n] of bytes) {
      const [protocol, direction] = key.split('/') as [string, string];
      metrics.bytes.inc({ protocol, direction }, n);
    }
  }

  #count(family: string, name: string, delta: number): void {
    const { metrics } = this.ctx;
    switch (family) {
      case 'malformed':
        return metrics.malformed.inc({ kind: name }, delta);
      case 'refusedStreams':
        return metrics.refusedStreams.inc({ limit: name }, delta);
      case 'connectionsRefused':
        return metrics.connectionsRefused.inc({ limit: name }, delta);
      case 'connectionsClosed':
        return metrics.connectionsClosed.inc({ reason: name }, delta);
      case 'requestsRefused':
        return metrics.requestsRefused.inc({ limit: name }, delta);
      case 'requestsAbandoned':
        return metrics.requestsAbandoned.inc(delta);
    }
  }

  #gauge(name: string, value: number): void {
    const { metrics } = this.ctx;
    switch (name) {
      case 'connections-unauthenticated':
        return metrics.connections.set({ state: 'unauthenticated' }, value);
      case 'connections-authenticated':
        return metrics.connections.set({ state: 'authenticated' }, value);
      case 'unauthenticated-bytes':
        return metrics.unauthenticatedBytes.set(value);
      case 'flow-sockets':
        return metrics.flowSockets.set(value);
    }
  }

  /** The per-session part of its flow lines, serialized once. */
  readonly #auditPrefix = new WeakMap<Session, string>();

  #audit(event: FlowEndEvent): void {
    const session = this.#sessions.get(event.session) ?? this.#retired.get(event.session);
    if (!session) return;
    const { audit } = this.ctx;
    if (!audit.writeSerialized) {
      audit.write(flowAuditEvent(session, event));
      return;
    }
    let prefix = this.#auditPrefix.get(session);
    if (prefix === undefined) {
      prefix = flowAuditPrefix(session);
      this.#auditPrefix.set(session, prefix);
    }
    audit.writeSerialized(flowAuditFields(prefix, event));
  }
}
