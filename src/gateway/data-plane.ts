// The control plane's side of the native data plane (docs/gateway-dataplane.md): keeps its
// tables in step with the sessions and the policy, answers what it asks (API requests, name
// resolutions), turns its event batches into audit lines and metrics, and starts it again
// when it dies. Bytes never come here; only decisions go down and events come up.
import { formatIPv4, parseIPv4 } from '../shared/net/ipv4.js';
import type { Protocol } from '../shared/protocol/session.js';
import {
  DataPlane,
  type ApiRequestMessage,
  type DataPlaneConfig,
  type DataPlaneEvent,
  type DataPlaneLimits,
  type FlowEndEvent,
} from '../native/gateway.js';
import type { LoadedConfig } from './config/load.js';
import type { GatewayContext } from './context.js';
import { handleApi, type ApiDeps } from './http/api.js';
import { resolveName } from './resolve.js';
import type { Session } from './sessions.js';

/** Crashes within CRASH_WINDOW_MS past which the gateway gives up (and systemd restarts it). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

/** What the data plane needs from the configuration file. */
export function dataPlaneConfig(settings: LoadedConfig): DataPlaneConfig {
  const file = settings.file;
  const limits: DataPlaneLimits = {
    streamsPerSession: file.limits.streamsPerSession,
    sessionMemoryBytes: file.limits.sessionMemoryMiB * 1024 * 1024,
    maxRequestBodyBytes: file.limits.maxRequestBodyBytes,
    connectionsTotal: 0,
    connectionsPerSource: 0,
    handshakeTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    unauthenticatedStreams: 100,
    unauthenticatedBytes: 1024 * 1024,
    descriptorsTotal: 0,
    descriptorsPerUser: 0,
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
    this.#plane = await DataPlane.start(dataPlaneConfig(this.ctx.settings), {
      apiRequest: (request) => this.#onApiRequest(request),
      resolve: (id, host) => this.#onResolve(id, host),
      events: (events) => this.#onEvents(events),
      exit: (reason) => this.#onExit(reason),
    });
    // After a restart: the tables again, for the sessions that outlived the crash.
    for (const session of this.#sessions.values()) this.#pushSession(session);
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
    await plane.configure(dataPlaneConfig(settings));
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
      (response) => {
        const headers: [string, string][] = [['cache-control', 'no-store']];
        for (const [name, value] of Object.entries(response.headers ?? {})) {
          headers.push([name.toLowerCase(), value]);
        }
        let body = Buffer.alloc(0);
        if (response.body !== undefined) {
          headers.push(['content-type', 'application/json']);
          body = Buffer.from(JSON.stringify(response.body));
        }
        this.#plane?.respond(request.id, response.status, headers, body);
      },
      (err: Error) => {
        console.error(`gateway: internal error: ${err.stack ?? err.message}`);
        this.#plane?.respond(request.id, 500, [['cache-control', 'no-store']], Buffer.alloc(0));
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
          if (event.family === 'malformed')
            metrics.malformed.inc({ kind: event.name }, event.delta);
          else if (event.family === 'refusedStreams')
            metrics.refusedStreams.inc({ limit: event.name }, event.delta);
          else metrics.refusedConnections.inc({ limit: event.name }, event.delta);
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

  #audit(event: FlowEndEvent): void {
    const session = this.#sessions.get(event.session) ?? this.#retired.get(event.session);
    if (!session) return;
    this.ctx.audit.write({
      event: 'flow',
      user: session.user,
      session: session.id,
      sourceIp: session.sourceIp,
      intranetIp: session.intranetIp,
      protocol: event.protocol,
      destination: formatIPv4(event.destination),
      ...(event.port !== undefined ? { port: event.port } : {}),
      verdict: event.verdict,
      policy: event.policy,
      resource: event.resource,
      ...(event.error ? { error: event.error } : {}),
      bytesUp: event.bytesUp,
      bytesDown: event.bytesDown,
      durationMs: event.durationMs,
    });
  }
}
