// TEST DOUBLE of the tunnel engine: implements the Engine interface of src/main/engine/types.ts
// without any network, following its contract as the UI relies on it:
//   - connect() emits 'connecting' once per phase (resolving, securing, signing-in,
//     configuring), then either 'connected' (and resolves) or 'error' with a reason (and
//     rejects); disconnect() during it cancels: 'disconnected', and connect() resolves;
//   - disconnect() emits 'disconnected' and resolves; stats are emitted while connected;
//   - resources() is the session's list while connected, [] otherwise;
//   - a lost connection ('reconnecting' with a cause and the next attempt's time) is played by
//     loseConnection(); certificates are checked against pins as the real engine does.
// Used by the UI tests and `npm run ui:preview`; the real engine runs in desktop-lab.test.ts.
import type { AllowedResource } from '../../../src/shared/protocol/session.js';
import type {
  CertificateInfo,
  ConnectOptions,
  ConnectPhase,
  Engine,
  EngineErrorReason,
  EngineEvents,
  EngineState,
  EngineStats,
  FailureCause,
  TunnelSummary,
} from '../../../src/main/engine/types.js';
import { CONNECT_PHASES } from '../../../src/main/engine/types.js';
import { parsePin } from '../../../src/main/engine/gateway/tls-trust.js';

export interface DoubleAccount {
  username: string;
  password: string;
  /** When set, the account needs this one-time code. */
  otp?: string;
  /** When set, logins are refused with 429 and this Retry-After (seconds). */
  lockedForSeconds?: number;
}

/** The gateway's certificate, as the double presents it. */
export type DoubleCertificate = Omit<CertificateInfo, 'problem' | 'detail'>;

export interface EngineDoubleScenario {
  /** The gateway that answers; other hosts fail as `unreachable` says (timed out otherwise). */
  gatewayUrl: string;
  accounts: DoubleAccount[];
  resources: AllowedResource[];
  intranetIp: string | null;
  tunnel: TunnelSummary;
  /** The gateway's certificate; `trustedBySystem` false makes it need a pin. */
  certificate: DoubleCertificate;
  trustedBySystem: boolean;
  /** Host name → why it cannot be reached. */
  unreachable?: Record<string, FailureCause>;
  /** Whether the app may create its network device. */
  privileged?: boolean;
  /** Time spent in each connection phase. */
  phaseDelayMs?: number;
  statsIntervalMs?: number;
  /** A token the double "leaks" into its log, to prove diagnostics scrub it. */
  leakToken?: string;
}

class EngineDoubleError extends Error {
  constructor(
    readonly reason: EngineErrorReason,
    message: string,
    readonly extra: Partial<Extract<EngineState, { kind: 'error' }>> = {},
  ) {
    super(message);
  }
}

export class EngineDouble implements Engine {
  private current: EngineState = { kind: 'disconnected' };
  private counters: EngineStats = emptyStats();
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private cancelled = false;
  private wakeUp: (() => void) | null = null;
  private ticks = 0;
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
    this.cancelled = false;
    const gateway = options.gatewayUrl;
    try {
      for (const phase of CONNECT_PHASES) {
        this.setState({ kind: 'connecting', gateway, phase });
        await this.pause(this.scenario.phaseDelayMs ?? 40);
        if (this.cancelled) {
          this.setState({ kind: 'disconnected' });
          return;
        }
        this.check(phase, options);
      }
    } catch (err) {
      const e = err as EngineDoubleError;
      this.setState({ kind: 'error', gateway, reason: e.reason, message: e.message, ...e.extra });
      throw err;
    }
    this.counters = emptyStats();
    this.ticks = 0;
    this.goUp(gateway);
    if (this.scenario.leakToken)
      this.emit('log', {
        level: 'warn',
        message: `engine double: retrying with authorization: Bearer ${this.scenario.leakToken}`,
        time: Date.now(),
      });
  }

  async disconnect(): Promise<void> {
    this.stopTimers();
    if (this.current.kind === 'connecting') {
      // connect() ends the attempt (and resolves) as soon as it wakes up.
      this.cancelled = true;
      this.wakeUp?.();
      return;
    }
    if (this.current.kind !== 'disconnected') this.setState({ kind: 'disconnected' });
  }

  /**
   * Plays a lost connection: 'reconnecting' with `cause`, `failedAttempts` retries (each
   * `retryDelayMs` apart), then connected again, or an error when `thenError` is given.
   */
  loseConnection(options: {
    cause: FailureCause;
    reason?: string;
    failedAttempts?: number;
    retryDelayMs?: number;
    thenError?: { reason: EngineErrorReason; cause?: FailureCause };
  }): void {
    if (this.current.kind !== 'connected') throw new Error('engine double: not connected');
    const gateway = this.current.gateway;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const delay = options.retryDelayMs ?? 1000;
    let attempt = 1;
    const step = () => {
      this.setState({
        kind: 'reconnecting',
        gateway,
        attempt,
        reason: options.reason ?? `engine double: ${options.cause}`,
        cause: options.cause,
        nextAttemptAt: Date.now() + delay,
      });
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (attempt <= (options.failedAttempts ?? 0)) {
          attempt++;
          return step();
        }
        if (options.thenError) {
          this.setState({
            kind: 'error',
            gateway,
            reason: options.thenError.reason,
            message: `engine double: ${options.thenError.reason}`,
            ...(options.thenError.cause ? { cause: options.thenError.cause } : {}),
          });
        } else {
          this.goUp(gateway);
        }
      }, delay);
    };
    step();
  }

  /** The gateway now presents another certificate (a renewal, or an interception). */
  replaceCertificate(certificate: DoubleCertificate): void {
    this.scenario.certificate = certificate;
  }

  setPrivileged(privileged: boolean): void {
    this.scenario.privileged = privileged;
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

  /** What each phase checks, as the real engine does in it. */
  private check(phase: ConnectPhase, options: ConnectOptions): void {
    const host = new URL(options.gatewayUrl).hostname;
    const known = new URL(options.gatewayUrl).origin === new URL(this.scenario.gatewayUrl).origin;
    switch (phase) {
      case 'resolving': {
        if (this.scenario.privileged === false)
          throw new EngineDoubleError('no-privileges', 'Operation not permitted (EPERM)');
        const cause = this.scenario.unreachable?.[host];
        if (cause === 'name-unknown' || cause === 'dns-unavailable')
          throw new EngineDoubleError('gateway-unreachable', `getaddrinfo ${cause} ${host}`, {
            cause,
          });
        return;
      }
      case 'securing': {
        if (!known) {
          const cause = this.scenario.unreachable?.[host] ?? 'timed-out';
          throw new EngineDoubleError('gateway-unreachable', `connect ${cause} ${host}`, { cause });
        }
        const cert = this.scenario.certificate;
        if (options.pin) {
          const pin = parsePin(options.pin);
          const digest = pin.pin === 'certificate' ? hex(cert.sha256) : b64(cert.spkiSha256);
          if (!digest.equals(pin.sha256))
            throw new EngineDoubleError(
              'certificate-changed',
              `the gateway's certificate (sha256 ${cert.sha256}) does not match the pin`,
              {
                fingerprint: cert.sha256,
                certificate: { ...cert, problem: 'pin-mismatch', detail: 'PIN_MISMATCH' },
              },
            );
        } else if (!this.scenario.trustedBySystem) {
          throw new EngineDoubleError(
            'untrusted-certificate',
            `the gateway's certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN); sha256 fingerprint ${cert.sha256}`,
            {
              fingerprint: cert.sha256,
              certificate: { ...cert, problem: 'self-signed', detail: 'SELF_SIGNED_CERT_IN_CHAIN' },
            },
          );
        }
        return;
      }
      case 'signing-in': {
        const account = this.scenario.accounts.find(
          (a) => a.username === options.username && a.password === options.password,
        );
        if (!account) throw new EngineDoubleError('bad-credentials', '401 invalid_credentials');
        if (account.lockedForSeconds !== undefined)
          throw new EngineDoubleError('rate-limited', '429 too_many_attempts', {
            retryAt: Date.now() + account.lockedForSeconds * 1000,
          });
        if (account.otp !== undefined) {
          if (options.otp === undefined)
            throw new EngineDoubleError('otp-required', '401 otp_required');
          if (options.otp !== account.otp)
            throw new EngineDoubleError('bad-credentials', '401 invalid_otp');
        }
        return;
      }
      case 'configuring':
        return;
    }
  }

  private goUp(gateway: string): void {
    this.setState({
      kind: 'connected',
      gateway,
      intranetIp: this.scenario.intranetIp,
      since: Date.now(),
      tunnel: structuredClone(this.scenario.tunnel),
    });
    this.timer = setInterval(() => this.tick(), this.scenario.statsIntervalMs ?? 500);
    this.tick();
  }

  /** Traffic with a shape: a slow wave, bursts every so often, a round trip that wobbles. */
  private tick(): void {
    const t = this.ticks++;
    const wave = 1 + Math.sin(t / 6);
    const burst = t % 23 < 3 ? 6 : 1;
    this.counters.bytesIn += Math.round(30_000 * wave * burst + 5_000);
    this.counters.bytesOut += Math.round(6_000 * wave + 2_000 + (t % 11 === 0 ? 40_000 : 0));
    this.counters.flows = { tcp: 3, udp: 1, icmp: 0 };
    this.counters.flowsTotal = { tcp: 7 + Math.floor(t / 5), udp: 2, icmp: 1 };
    this.counters.rttMs = Math.round(12 + 4 * Math.sin(t / 4) + (t % 17 === 0 ? 25 : 0));
    this.emit('stats', this.stats());
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.timer = null;
    this.reconnectTimer = null;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
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

function hex(colonHex: string): Buffer {
  return Buffer.from(colonHex.replace(/:/g, ''), 'hex');
}

function b64(text: string): Buffer {
  return Buffer.from(text, 'base64');
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
