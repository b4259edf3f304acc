// What the engine double answers in the UI and controller tests and in `npm run ui:preview`:
// one gateway, a few accounts (bob needs a one-time code, carol is locked out for a while), the
// resources and tunnel settings of the session, and the gateway's certificate.
import { createHash } from 'node:crypto';
import type { DoubleCertificate, EngineDoubleScenario } from './engine-double.js';

const digest = (seed: string) => createHash('sha256').update(seed).digest();

/** A made-up certificate with real-looking fingerprints, derived from `seed`. */
export function fakeCertificate(seed: string, keySeed = seed, days = 90): DoubleCertificate {
  const from = Date.parse('2030-01-01T00:00:00Z');
  return {
    subject: 'CN=vpn.corp.test, O=Corp',
    issuer: 'CN=Corp internal CA, O=Corp',
    validFrom: new Date(from).toISOString(),
    validTo: new Date(from + days * 86_400_000).toISOString(),
    sha256: (digest(`cert:${seed}`).toString('hex').toUpperCase().match(/../g) ?? []).join(':'),
    spkiSha256: digest(`key:${keySeed}`).toString('base64'),
  };
}

export function scenario(): EngineDoubleScenario {
  return {
    gatewayUrl: 'https://vpn.corp.test',
    accounts: [
      { username: 'alice', password: 'correct horse battery staple' },
      { username: 'bob', password: 'bobs-password', otp: '918273' },
      { username: 'carol', password: 'carols-password', lockedForSeconds: 14 * 60 },
    ],
    intranetIp: '100.64.0.2',
    tunnel: {
      splitTunnel: true,
      routes: ['198.18.0.0/23', '10.20.0.0/16'],
      dns: { servers: ['198.18.0.53'], domains: ['corp.test', 'lab.corp.test'], scope: 'domains' },
    },
    certificate: fakeCertificate('first'),
    trustedBySystem: true,
    unreachable: {
      'nowhere.corp.test': 'name-unknown',
      'closed.corp.test': 'refused',
      'slow.corp.test': 'timed-out',
    },
    resources: [
      {
        name: 'Intranet web',
        address: '198.18.0.10/32',
        ports: [
          { from: 80, to: 80 },
          { from: 443, to: 443 },
        ],
        protocols: ['tcp'],
      },
      {
        name: 'Intranet DNS',
        address: '198.18.0.53/32',
        ports: [{ from: 53, to: 53 }],
        protocols: ['udp', 'tcp'],
      },
      {
        name: 'Build farm',
        address: '198.18.0.64/28',
        ports: [{ from: 8000, to: 8100 }],
        protocols: ['tcp'],
      },
      {
        name: 'Admin hosts',
        address: '10.20.0.0/16',
        ports: [
          { from: 22, to: 22 },
          { from: 3389, to: 3389 },
        ],
        protocols: ['tcp'],
      },
      { name: 'Ping targets', address: '198.18.0.0/24', ports: [], protocols: ['icmp'] },
    ],
  };
}

/** The default scenario, for tests that only read it. */
export const SCENARIO: EngineDoubleScenario = scenario();
