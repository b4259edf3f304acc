// TEST DOUBLE of the tunnel engine: implements the Engine interface of src/main/engine/types.ts
// without any network, following its contract as the UI relies on it:
//   - connect() emits 'connecting', then either 'connected' (and resolves) or 'error' with a
//     reason (and rejects);
//   - disconnect() emits 'disconnected' and resolves; stats are emitted while connected;
//   - resources() is the session's list while connected, [] otherwise.
// Used by the UI tests until the real engine and the netns lab are wired in (see harness.ts).
import type { AllowedResource } from '../../../src/shared/protocol/session.js';
import type {
  ConnectOptions,
  Engine,
  EngineErrorReason,
  EngineEvents,
  EngineState,
  EngineStats,
} from '../../../src/main/engine/types.js';

export interface DoubleAccount {
  username: string;
  password: string;
  /** When set, the account needs this one-time code. */
  otp?: string;
}

export interface EngineDoubleScenario {
  /** The only gateway that "answers"; any other is unreachable. */
  gatewayUrl: string;
  accounts: DoubleAccount[];
  resources: AllowedResource[];
  intranetIp: string | null;
  connectDelayMs?: number;
  statsIntervalMs?: number;
}

class EngineDoubleError extends Error {
  constructor(
    readonly reason: EngineErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export class EngineDouble implements Engine {
  private current: EngineState = { kind: 'disconnected' };
  private counters: EngineStats = emptyStats();
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: { [E in keyof EngineEvents]: Set<EngineEvents[E]> } = {
    state: new Set(),
    stats: new Set(),
    log: new Set(),
  };
  /** Every ConnectOptions received, for assertions. */
  readonly connects: ConnectOptions[] = [];

  constructor(private readonly scenario: EngineDoubleScenario) {}

  async connect(options: ConnectOptions): Promise<void> {
    if (this.current.kind !== 'disconnected' && this.current.kind !== 'error') {
      throw new Error(`engine double: connect() while ${this.current.kind}`);
    }
    this.connects.push({ ...options });
    const gateway = options.gatewayUrl;
    this.setState({ kind: 'connecting', gateway, phase: 'resolving' });
    await delay(this.scenario.connectDelayMs ?? 150);
    try {
      this.authenticate(options);
    } catch (err) {
      const e = err as EngineDoubleError;
      this.setState({ kind: 'error', gateway, reason: e.reason, message: e.message });
      throw err;
    }
    this.counters = emptyStats();
    this.setState({
      kind: 'connected',
      gateway,
      intranetIp: this.scenario.intranetIp,
      since: Date.now(),
      tunnel: { splitTunnel: true, routes: [], dns: { servers: [], domains: [], scope: 'none' } },
    });
    this.emit('log', { level: 'info', message: 'engine double: tunnel up', time: Date.now() });
    this.timer = setInterval(() => this.tick(), this.scenario.statsIntervalMs ?? 500);
    this.tick();
  }

  async disconnect(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.current.kind !== 'disconnected') this.setState({ kind: 'disconnected' });
  }

  state(): EngineState {
    return this.current;
  }

  stats(): EngineStats {
    return structuredClone(this.counters);
  }

  resources(): AllowedResource[] {
    return this.current.kind === 'connected' ? structuredClone(this.scenario.resources) : [];
  }

  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void {
    this.listeners[event].add(listener);
  }

  off<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void {
    this.listeners[event].delete(listener);
  }

  private authenticate(options: ConnectOptions): void {
    if (new URL(options.gatewayUrl).origin !== new URL(this.scenario.gatewayUrl).origin) {
      throw new EngineDoubleError('gateway-unreachable', `connect ETIMEDOUT ${options.gatewayUrl}`);
    }
    const account = this.scenario.accounts.find(
      (a) => a.username === options.username && a.password === options.password,
    );
    if (!account) throw new EngineDoubleError('bad-credentials', '401 invalid_credentials');
    if (account.otp !== undefined) {
      if (options.otp === undefined)
        throw new EngineDoubleError('otp-required', '401 otp_required');
      if (options.otp !== account.otp)
        throw new EngineDoubleError('bad-credentials', '401 invalid_otp');
    }
  }

  private tick(): void {
    this.counters.bytesIn += 48_000 + Math.floor(Math.random() * 4000);
    this.counters.bytesOut += 9_000 + Math.floor(Math.random() * 1000);
    this.counters.flows = { tcp: 3, udp: 1, icmp: 0 };
    this.counters.flowsTotal = { tcp: 7, udp: 2, icmp: 1 };
    this.counters.rttMs = 12;
    this.emit('stats', this.stats());
  }

  private setState(state: EngineState): void {
    this.current = state;
    this.emit('state', state);
  }

  private emit<E extends keyof EngineEvents>(event: E, ...args: Parameters<EngineEvents[E]>): void {
    for (const listener of this.listeners[event]) {
      (listener as (...a: Parameters<EngineEvents[E]>) => void)(...args);
    }
  }
}

function emptyStats(): EngineStats {
  return {
    bytesIn: 0,
    bytesOut: 0,
    flows: { tcp: 0, udp: 0, icmp: 0 },
    flowsTotal: { tcp: 0, udp: 0, icmp: 0 },
    dropped: {},
    rttMs: null,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
