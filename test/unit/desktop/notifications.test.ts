import { describe, expect, it } from 'vitest';
import type { EngineErrorReason, EngineState } from '../../../src/main/engine/types.js';
import { MAIN_MESSAGES } from '../../../src/main/controller/messages.js';
import { notificationFor } from '../../../src/main/controller/notifications.js';

const GW = 'https://vpn.corp.test:8443';
const off: EngineState = { kind: 'disconnected' };
const connecting: EngineState = { kind: 'connecting', gateway: GW, phase: 'resolving' };
const up: EngineState = {
  kind: 'connected',
  gateway: GW,
  intranetIp: '100.64.0.7',
  since: 0,
  tunnel: { splitTunnel: true, routes: [], dns: { servers: [], domains: [], scope: 'none' } },
};
const failed = (reason: EngineErrorReason): EngineState => ({
  kind: 'error',
  gateway: GW,
  reason,
  message: 'raw',
});

describe('desktop notifications', () => {
  it('announces a connection with the gateway and intranet address', () => {
    expect(notificationFor(connecting, up, 'en')).toEqual({
      title: 'Connected',
      body: 'Secure connection to vpn.corp.test:8443. Your intranet address is 100.64.0.7.',
      urgent: false,
    });
    expect(notificationFor(connecting, up, 'fr')).toEqual({
      title: 'Connecté',
      body: 'Connexion sécurisée à vpn.corp.test:8443. Votre adresse intranet est 100.64.0.7.',
      urgent: false,
    });
  });

  it('announces a disconnection only when the tunnel was up', () => {
    expect(notificationFor(up, off, 'en')?.body).toBe(
      'You are no longer connected to vpn.corp.test:8443. Intranet resources are out of reach.',
    );
    expect(notificationFor(up, off, 'fr')?.title).toBe('Déconnecté');
    expect(notificationFor(failed('bad-credentials'), off, 'en')).toBeNull();
    expect(notificationFor(connecting, connecting, 'en')).toBeNull();
  });

  it('explains every error reason in plain words, in both languages', () => {
    const reasons = Object.keys(MAIN_MESSAGES.en.errorReason) as EngineErrorReason[];
    expect(reasons).toHaveLength(10);
    for (const language of ['en', 'fr'] as const) {
      for (const reason of reasons) {
        const n = notificationFor(connecting, failed(reason), language);
        expect(n?.urgent).toBe(true);
        expect(n?.body).not.toContain('raw');
        expect(n?.body.length).toBeGreaterThan(20);
      }
    }
    // No helper service (an AppImage): say what to install, not "something went wrong".
    expect(notificationFor(connecting, failed('helper-missing'), 'en')?.body).toMatch(
      /network service is not running\. Install the Passerelle \.deb package/,
    );
    expect(notificationFor(connecting, failed('helper-missing'), 'fr')?.body).toMatch(
      /Installez le paquet \.deb de Passerelle/,
    );
    expect(notificationFor(connecting, failed('bad-credentials'), 'en')).toEqual({
      title: 'Could not connect',
      body: 'The user name or password is wrong.',
      urgent: true,
    });
    expect(notificationFor(connecting, failed('gateway-unreachable'), 'fr')?.body).toBe(
      'vpn.corp.test:8443 est injoignable. Vérifiez votre connexion à Internet et l’adresse de la passerelle.',
    );
    expect(notificationFor(connecting, failed('untrusted-certificate'), 'en')?.body).toContain(
      'fingerprint',
    );
  });

  it('does not repeat the same error', () => {
    expect(notificationFor(failed('rate-limited'), failed('rate-limited'), 'en')).toBeNull();
  });

  it('tells about a dropped connection being retried', () => {
    const n = notificationFor(
      up,
      {
        kind: 'reconnecting',
        gateway: GW,
        attempt: 1,
        reason: 'timeout',
        cause: 'keepalive-lost',
        nextAttemptAt: 0,
      },
      'en',
    );
    expect(n?.title).toBe('Connection lost');
    expect(n?.body).toBe(
      'The connection to vpn.corp.test:8443 dropped (the gateway stopped answering). Reconnecting…',
    );
  });
});
