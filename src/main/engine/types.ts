// The tunnel engine's public surface: what the CLI and the desktop app see. Electron-free.
import type { AllowedResource } from '../../shared/protocol/session.js';

export type EngineState =
  | { kind: 'disconnected' }
  | { kind: 'connecting'; gateway: string }
  | { kind: 'connected'; gateway: string; intranetIp: string | null; since: number }
  | { kind: 'reconnecting'; gateway: string; attempt: number; reason: string }
  | {
      kind: 'error';
      gateway: string;
      reason: EngineErrorReason;
      message: string;
      /** For an untrusted certificate: its SHA-256 fingerprint ("AB:CD:…"), to show and pin. */
      fingerprint?: string;
    };

/** Why a connection failed, in a form the UI can turn into plain words. */
export type EngineErrorReason =
  | 'bad-credentials'
  | 'otp-required'
  | 'untrusted-certificate'
  | 'gateway-unreachable'
  | 'no-privileges'
  | 'rate-limited'
  | 'protocol'
  | 'internal';

export interface FlowCounters {
  tcp: number;
  udp: number;
  icmp: number;
}

export interface EngineStats {
  bytesIn: number;
  bytesOut: number;
  /** Flows open now, by protocol. */
  flows: FlowCounters;
  /** Flows opened since connect, by protocol. */
  flowsTotal: FlowCounters;
  /** Packets read from the TUN that were dropped (malformed, unsupported), by reason. */
  dropped: Record<string, number>;
  /** Last HTTP/2 PING round trip to the gateway, in milliseconds, or null before the first. */
  rttMs: number | null;
  /**
   * The native data plane's own figures (src/native/client/stats.h): TUN packets, and the
   * engine's part of connections each way (latency-…-ns totals, counts and maxima). For
   * diagnostics and benchmarks; absent before the first connection.
   */
  dataPlane?: Record<string, number>;
}

export interface ConnectOptions {
  /** https://host[:port] of the gateway; 443 when no port is given. */
  gatewayUrl: string;
  username: string;
  password: string;
  otp?: string;
  /** PEM file contents of the CA that signed the gateway's certificate. */
  ca?: string;
  /** "sha256:<hex or base64>" fingerprint of the gateway's certificate. */
  pin?: string;
  /** TUN device name; "passerelle0" by default. */
  tunName?: string;
}

export interface EngineEvents {
  state: (state: EngineState) => void;
  stats: (stats: EngineStats) => void;
  log: (line: { level: 'info' | 'warn' | 'error'; message: string; time: number }) => void;
}

export interface Engine {
  connect(options: ConnectOptions): Promise<void>;
  disconnect(): Promise<void>;
  state(): EngineState;
  stats(): EngineStats;
  resources(): AllowedResource[];
  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void;
  off<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void;
}
