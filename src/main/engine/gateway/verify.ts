// The one trust decision (DESIGN §4, docs/architecture.md): TypeScript verifies the gateway's
// certificate with Node's TLS (the CA store or file and the host name, or the pin: the whole
// certificate's SHA-256, or its public key's, which survives a renewal with the same key), and
// hands the SHA-256 of the leaf it verified to the native data plane, which then accepts
// exactly that certificate on its own TLS connection. No second validator exists in native
// code: when the data plane meets another leaf, this decides again.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { GatewayError, causeOfErrno } from './errors.js';
import {
  certificateProblem,
  describeCertificate,
  fingerprintOf,
  pinMatches,
  systemCaList,
  type Trust,
} from './tls-trust.js';

export interface VerifiedGateway {
  /** SHA-256 of the leaf certificate's DER. */
  leafSha256: Buffer;
  /** The same, as shown to users ("AB:CD:…"). */
  fingerprint: string;
}

export interface VerifyOptions {
  host: string;
  port: number;
  /** The address to connect to (resolved once); the certificate is checked against `host`. */
  address: string;
  trust: Trust;
  timeoutMs?: number;
  /** Aborting it cuts the handshake short (a cancelled connect). */
  signal?: AbortSignal;
}

/**
 * Opens a TLS connection to the gateway, checks its certificate as `trust` says and that it
 * speaks HTTP/2, and closes it. Throws GatewayError: untrusted-certificate or
 * certificate-changed (with what the certificate is, to show and pin), gateway-unreachable
 * (with its cause), or protocol.
 */
export function verifyGateway(options: VerifyOptions): Promise<VerifiedGateway> {
  const { host, port, address, trust, timeoutMs = 10_000, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const socket = connectTls({
      host: address,
      port,
      // The name, for SNI and the certificate check, even when connecting to an address.
      servername: isIP(host) ? undefined : host,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
      ca: trust.kind === 'ca' ? trust.pem : trust.kind === 'system' ? systemCaList() : undefined,
      // Checked below, on 'secureConnect': that is where the certificate can be read to show
      // what it is, or compared with a pin.
      rejectUnauthorized: false,
    });
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      socket.destroy();
      outcome();
    };
    const onAbort = () => settle(() => reject(cancelled()));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            new GatewayError(
              'gateway-unreachable',
              `no answer from ${host}:${port} within ${timeoutMs / 1000} s`,
              { cause: 'timed-out' },
            ),
          ),
        ),
      timeoutMs,
    );
    socket.once('error', (err: NodeJS.ErrnoException) =>
      settle(() =>
        reject(
          new GatewayError(
            'gateway-unreachable',
            `cannot reach the gateway ${host}:${port}: ${err.code ?? err.message}`,
            { cause: causeOfErrno(err.code) },
          ),
        ),
      ),
    );
    socket.once('close', () =>
      settle(() =>
        reject(
          new GatewayError(
            'gateway-unreachable',
            `the gateway ${host}:${port} closed the connection during the TLS handshake`,
            { cause: 'connection-reset' },
          ),
        ),
      ),
    );
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const fingerprint = cert ? fingerprintOf(cert) : '';
      const alpn = socket.alpnProtocol;
      const authorized = socket.authorized;
      const authorizationError = String(socket.authorizationError);
      settle(() => {
        if (trust.kind === 'pin') {
          if (!pinMatches(cert, trust))
            return reject(
              new GatewayError(
                'certificate-changed',
                `the gateway's certificate (sha256 ${fingerprint}) does not match the pinned ${trust.pin === 'certificate' ? 'fingerprint' : 'public key'}`,
                { certificate: describeCertificate(cert, 'pin-mismatch', 'PIN_MISMATCH') },
              ),
            );
        } else if (!authorized) {
          return reject(
            new GatewayError(
              'untrusted-certificate',
              `the gateway's certificate is not trusted (${authorizationError}); sha256 fingerprint ${fingerprint}`,
              {
                certificate: describeCertificate(
                  cert,
                  certificateProblem(authorizationError),
                  authorizationError,
                ),
              },
            ),
          );
        }
        if (alpn !== 'h2')
          return reject(
            new GatewayError(
              'protocol',
              'the server did not offer HTTP/2: is this a Passerelle gateway?',
              { cause: 'tls-failed' },
            ),
          );
        if (!cert?.raw)
          return reject(
            new GatewayError('protocol', 'the gateway sent no certificate', {
              cause: 'tls-failed',
            }),
          );
        resolve({ leafSha256: createHash('sha256').update(cert.raw).digest(), fingerprint });
      });
    });
  });
}

function cancelled(): GatewayError {
  return new GatewayError('gateway-unreachable', 'the connection attempt was cancelled', {
    cause: 'connection-reset',
  });
}
