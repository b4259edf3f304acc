// What the engine double answers in the UI and controller tests: one gateway, two accounts
// (bob needs a one-time code), and the resources of the session.
import type { EngineDoubleScenario } from './engine-double.js';

export const SCENARIO: EngineDoubleScenario = {
  gatewayUrl: 'https://vpn.corp.test',
  accounts: [
    { username: 'alice', password: 'correct horse battery staple' },
    { username: 'bob', password: 'bobs-password', otp: '123456' },
  ],
  intranetIp: '100.64.0.2',
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
    { name: 'Ping targets', address: '198.18.0.0/24', ports: [], protocols: ['icmp'] },
  ],
};
