// The tunnel engine's public surface: what the CLI and the desktop app see. Electron-free.
import type { AllowedResource } from '../../shared/protocol/session.js';

/**
 * The steps of a connection, in order. The engine reports each as it starts, so a user waiting
 * on an unreachable gateway sees where it hangs, and may cancel at any of them.
 */
export const CONNECT_PHASES = ['resolving', 'securing', 'signing-in', 'configuring'] as const;
export type ConnectPhase = (typeof CONNECT_PHASES)[number];

/**
 * Why the gateway could not be reached, or why a connection to it was lost, as a class the UI
 * can put into words (the raw text stays in `reason`/`message` for the log).
 */
export type FailureCause =
  /** The gateway's name does not exist (ENOTFOUND). */
  | 'name-unknown'
  /** No DNS server answered (EAI_AGAIN): often no network at all. */
  | 'dns-unavailable'
  /** Nothing answered in time: a firewall dropping packets, or a host that is down. */
  | 'timed-out'
  /** The gateway's host answered that nothing listens on that port. */
  | 'refused'
  /** No route to the gateway (no network, link down). */
  | 'network-unreachable'
  /** The connection was cut while it was being set up or used. */
  | 'connection-reset'
  /** The TLS handshake failed, or the server is not a Passerelle gateway (no HTTP/2). */
  | 'tls-failed'
  /** The gateway stopped answering keepalive PINGs. */
  | 'keepalive-lost'
  /** The gateway closed the connection itself (restart, shutdown). */
  | 'gateway-closed'
  | 'other';

/** What the tunnel does to the machine's traffic, from the session's configuration. */
export interface TunnelSummary {
  /** false: every destination goes through the gateway (full tunnel). */
  splitTunnel: boolean;
  /** The networks sent into the tunnel (CIDR); with a full tunnel, what the gateway listed. */
  routes: string[];
  dns: {
    servers: string[];
    domains: string[];
    /**
     * 'domains': only names under `domains` are asked of the intranet servers (systemd-resolved).
     * 'all': every name is asked of the intranet servers first (resolv.conf fallback).
     * 'none': the session brings no DNS server.
     */
    scope: 'domains' | 'all' | 'none';
  };
}

/** The gateway's certificate, as shown when it is not trusted or has changed. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** SHA-256 of the whole certificate, "AB:CD:…" (what the gateway prints at start). */
  sha256: string;
  /** SHA-256 of its public key (SubjectPublicKeyInfo), base64: what a renewal keeps. */
  spkiSha256: string;
  /** Why it is not trusted. */
  problem: CertificateProblem;
  /** The TLS library's own code for it, e.g. "SELF_SIGNED_CERT_IN_CHAIN". */
  detail: string;
}

export type CertificateProblem =
  | 'self-signed'
  | 'unknown-issuer'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-name'
  /** It does not match the pin saved for this gateway. */
  | 'pin-mismatch'
  | 'other';

export type EngineState =
  | { kind: 'disconnected' }
  | { kind: 'connecting'; gateway: string; phase: ConnectPhase }
  | {
      kind: 'connected';
      gateway: string;
      intranetIp: string | null;
      since: number;
      tunnel: TunnelSummary;
    }
  | {
      kind: 'reconnecting';
      gateway: string;
      attempt: number;
      /** The raw reason, for the log. */
      reason: string;
      cause: FailureCause;
      /** When the next attempt starts (epoch ms); in the past while it runs. */
      nextAttemptAt: number;
    }
  | {
      kind: 'error';
      gateway: string;
      reason: EngineErrorReason;
      message: string;
      /** For an untrusted or changed certificate: its SHA-256 fingerprint ("AB:CD:…"). */
      fingerprint?: string;
      /** For an untrusted or changed certificate: what it is and why it is refused. */
      certificate?: CertificateInfo;
      /** For an unreachable gateway: why. */
      cause?: FailureCause;
      /** For rate-limited: when the gateway accepts a login again (epoch ms), from Retry-After. */
      retryAt?: number;
    };

/** Why a connection failed, in a form the UI can turn into plain words. */
export type EngineErrorReason =
  | 'bad-credentials'
  | 'otp-required'
  | 'untrusted-certificate'
  /** A pinned gateway presented another certificate: what an interception looks like. */
  | 'certificate-changed'
  | 'gateway-unreachable'
  | 'no-privileges'
  /** No privileged helper service to ask (e.g. an AppImage, which cannot install it). */
  | 'helper-missing'
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
  /**
   * "sha256:<hex or base64>": the gateway's certificate; "spki-sha256:<hex or base64>": its
   * public key, which survives a renewal with the same key.
   */
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
  /**
   * Resolves once connected, or when disconnect() cancelled the attempt (the state is then
   * 'disconnected' and everything done so far is undone); rejects with the error state's reason.
   */
  connect(options: ConnectOptions): Promise<void>;
  /**
   * Undoes everything (routes and DNS first, then a bounded logout). Called again while it
   * runs, it returns the same promise; `{ logout: false }` skips the logout.
   */
  disconnect(options?: { logout?: boolean }): Promise<void>;
  state(): EngineState;
  stats(): EngineStats;
  resources(): AllowedResource[];
  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void;
  off<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void;
}
