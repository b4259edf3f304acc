// Failures of the gateway connection, classified so the CLI can pick an exit code and the
// desktop app a sentence.
import type { LinkFailure } from '../../../native/client.js';
import type { CertificateInfo, EngineErrorReason, FailureCause } from '../types.js';

export interface GatewayErrorDetails {
  /** For an untrusted or changed certificate: what the gateway presented. */
  certificate?: CertificateInfo;
  /** For an unreachable gateway or a lost connection: why, as a class. */
  cause?: FailureCause;
  /** For rate-limited: the gateway's Retry-After, in seconds. */
  retryAfterSeconds?: number;
}

export class GatewayError extends Error {
  readonly certificate: CertificateInfo | undefined;
  readonly failure: FailureCause | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly reason: EngineErrorReason,
    message: string,
    details: GatewayErrorDetails = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.certificate = details.certificate;
    this.failure = details.cause;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** The certificate's fingerprint, for an untrusted or changed certificate. */
  get fingerprint(): string | undefined {
    return this.certificate?.sha256;
  }
}

/** A system error code (from a socket or the resolver) → the class a user is told about. */
export function causeOfErrno(code: string | undefined): FailureCause {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'name-unknown';
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return 'dns-unavailable';
    case 'ETIMEDOUT':
      return 'timed-out';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return 'network-unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'connection-reset';
    case 'EPROTO':
      return 'tls-failed';
    default:
      return code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_') ? 'tls-failed' : 'other';
  }
}

/** The cause carried by an error, classifying a raw system error when it has none. */
export function failureOf(err: unknown): FailureCause {
  if (err instanceof GatewayError && err.failure) return err.failure;
  return causeOfErrno((err as NodeJS.ErrnoException | undefined)?.code);
}

/**
 * How the data plane classed the loss of its gateway connection → the class a user is told
 * about. A changed certificate that reaches this far is a TLS failure: trust itself is decided
 * again before (SessionClient.open).
 */
export function causeOfLinkFailure(failure: LinkFailure): FailureCause {
  return failure === 'certificate-changed' ? 'tls-failed' : failure;
}
