// Failures of the gateway connection, classified so the CLI can pick an exit code and the
// desktop app a sentence.
import type { EngineErrorReason } from '../types.js';

export class GatewayError extends Error {
  constructor(
    readonly reason: EngineErrorReason,
    message: string,
    /** The certificate's fingerprint, for an untrusted certificate. */
    readonly fingerprint?: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}
