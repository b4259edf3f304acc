import { describe, expect, it } from 'vitest';
import {
  INITIAL_TRAY_STATE,
  trayReduce,
  trayView,
  type TrayContext,
  type TrayState,
} from '../../../src/main/controller/tray-state.js';

const GW = 'https://vpn.corp.test';
const ctx: TrayContext = { language: 'en', canConnect: true, profileGateway: GW };

function run(events: Parameters<typeof trayReduce>[1][]): TrayState {
  return events.reduce(trayReduce, INITIAL_TRAY_STATE);
}

describe('tray state machine', () => {
  it('starts disconnected with Connect, Open, Quit', () => {
    const view = trayView(INITIAL_TRAY_STATE, ctx);
    expect(view.icon).toBe('disconnected');
    expect(view.menu.map((i) => i.id)).toEqual(['connect', 'open', 'quit']);
    expect(view.tooltip).toBe('Passerelle: Disconnected\nGateway: vpn.corp.test');
  });

  it('shows connecting at once on a click, then follows the engine', () => {
    let s = trayReduce(INITIAL_TRAY_STATE, { type: 'connect-clicked', gateway: GW });
    expect(s).toEqual({ kind: 'connecting', gateway: GW });
    expect(trayView(s, ctx).menu[0]).toMatchObject({ id: 'disconnect', enabled: true });
    s = trayReduce(s, {
      type: 'engine',
      state: {
        kind: 'connected',
        gateway: GW,
        intranetIp: '100.64.0.2',
        since: 1,
        tunnel: { splitTunnel: true, routes: [], dns: { servers: [], domains: [], scope: 'none' } },
      },
    });
    const view = trayView(s, ctx);
    expect(view.icon).toBe('connected');
    expect(view.tooltip).toContain('Connected');
    expect(view.tooltip).toContain('vpn.corp.test');
    expect(view.menu.map((i) => i.id)).toEqual(['disconnect', 'open', 'quit']);
  });

  it('maps reconnecting to the connecting icon and errors to the error icon', () => {
    expect(
      run([
        {
          type: 'engine',
          state: {
            kind: 'reconnecting',
            gateway: GW,
            attempt: 2,
            reason: 'timeout',
            cause: 'keepalive-lost',
            nextAttemptAt: 0,
          },
        },
      ]).kind,
    ).toBe('connecting');
    const s = run([
      { type: 'engine', state: { kind: 'connecting', gateway: GW, phase: 'securing' } },
      {
        type: 'engine',
        state: { kind: 'error', gateway: GW, reason: 'gateway-unreachable', message: 'x' },
      },
    ]);
    const view = trayView(s, ctx);
    expect(view.icon).toBe('error');
    expect(view.tooltip).toBe('Passerelle: Connection failed\nGateway: vpn.corp.test');
    expect(view.menu[0]).toMatchObject({ id: 'connect', enabled: true });
  });

  it('stays up on a disconnect click until the engine is down, keeping the gateway', () => {
    const up = run([
      {
        type: 'engine',
        state: {
          kind: 'connected',
          gateway: GW,
          intranetIp: null,
          since: 1,
          tunnel: {
            splitTunnel: true,
            routes: [],
            dns: { servers: [], domains: [], scope: 'none' },
          },
        },
      },
    ]);
    expect(trayReduce(up, { type: 'disconnect-clicked' })).toBe(up);
    const down = trayReduce(up, { type: 'engine', state: { kind: 'disconnected' } });
    expect(down).toEqual({ kind: 'disconnected', gateway: GW });
  });

  it('greys out Connect without a saved password and speaks French', () => {
    const view = trayView(INITIAL_TRAY_STATE, {
      language: 'fr',
      canConnect: false,
      profileGateway: null,
    });
    expect(view.menu).toEqual([
      { id: 'connect', label: 'Se connecter', enabled: false },
      { id: 'open', label: 'Ouvrir Passerelle', enabled: true },
      { id: 'quit', label: 'Quitter', enabled: true },
    ]);
    expect(view.tooltip).toBe('Passerelle: Déconnecté\nAucune passerelle configurée');
  });
});
