// The one trust decision (DESIGN §4, docs/architecture.md): TypeScript verifies the gateway's
// certificate with Node's TLS (the CA store or file and the host name, or the pin), and hands
// the SHA-256 of the leaf it verified to the native data plane, which then accepts exactly that
// certificate on its own TLS connection. No second validator exists in native code.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { GatewayError } from './errors.js';
import { fingerprintOf, pinMatches, systemCaList, type Trust } from './tls-trust.js';

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
}

/**
 * Opens a TLS connection to the gateway, checks its certificate as `trust` says and that it
 * speaks HTTP/2, and closes it. Throws GatewayError: untrusted-certificate (with the
 * fingerprint, to show and pin), gateway-unreachable, or protocol.
 */
export function verifyGateway(options: VerifyOptions): Promise<VerifiedGateway> {
  const { host, port, address, trust, timeoutMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const socket = connectTls({
      host: address,
      port,
      // The name, for SNI and the certificate check, even when connecting to an address.
      servername: isIP(host) ? undefined : host,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
      ca: trust.kind === 'ca' ? trust.pem : trust.kind === 'system' ? systemCaList() : undefined,
      // Checked below, on 'secureConnect': that is where the certificate can be read to show its
      // fingerprint, or compared with a pin.
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new GatewayError(
          'gateway-unreachable',
          `no answer from ${host}:${port} within ${timeoutMs / 1000} s`,
        ),
      );
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new GatewayError(
          'gateway-unreachable',
          `cannot reach the gateway ${host}:${port}: ${err.code ?? err.message}`,
        ),
      );
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      const fingerprint = cert ? fingerprintOf(cert) : '';
      const alpn = socket.alpnProtocol;
      const authorized = socket.authorized;
      const authorizationError = socket.authorizationError;
      socket.on('error', () => undefined);
      socket.destroy();
      if (trust.kind === 'pin') {
        if (!pinMatches(cert, trust.sha256))
          return reject(
            new GatewayError(
              'untrusted-certificate',
              `the gateway's certificate (sha256 ${fingerprint}) does not match the pinned fingerprint`,
              fingerprint,
            ),
          );
      } else if (!authorized) {
        return reject(
          new GatewayError(
            'untrusted-certificate',
            `the gateway's certificate is not trusted (${String(authorizationError)}); sha256 fingerprint ${fingerprint}`,
            fingerprint,
          ),
        );
      }
      if (alpn !== 'h2')
        return reject(
          new GatewayError(
            'protocol',
            'the server did not offer HTTP/2: is this a Passerelle gateway?',
          ),
        );
      if (!cert?.raw)
        return reject(new GatewayError('protocol', 'the gateway sent no certificate'));
      resolve({ leafSha256: createHash('sha256').update(cert.raw).digest(), fingerprint });
    });
  });
}
