import { describe, expect, it } from 'vitest';
import type { EngineState } from '../../../src/main/engine/types.js';
import {
  INITIAL_TRAY_STATE,
  trayAvailable,
  trayReduce,
  trayView,
  windowCloseAction,
  type TrayContext,
  type TrayMenuEntry,
  type TrayState,
} from '../../../src/main/controller/tray-state.js';

const GW = 'https://vpn.corp.test';
const NOON = Date.parse('2030-01-01T12:00:00');
const PROFILES = [
  { id: 'corp', name: 'vpn.corp.test', gatewayUrl: GW },
  { id: 'lab', name: 'Lab', gatewayUrl: 'https://lab.corp.test:8443' },
];
const ctx: TrayContext = {
  language: 'en',
  canConnect: true,
  profileGateway: GW,
  profiles: PROFILES.slice(0, 1),
  activeProfileId: 'corp',
  now: NOON,
};
const TUNNEL = { splitTunnel: true, routes: [], dns: { servers: [], domains: [], scope: 'none' } };
const connected = (since: number, intranetIp: string | null = '100.64.0.2'): EngineState => ({
  kind: 'connected',
  gateway: GW,
  intranetIp,
  since,
  tunnel: TUNNEL as never,
});

function run(events: Parameters<typeof trayReduce>[1][]): TrayState {
  return events.reduce(trayReduce, INITIAL_TRAY_STATE);
}
const labels = (menu: TrayMenuEntry[]) =>
  menu.map((e) => (e.kind === 'separator' ? '---' : `${e.kind}:${e.label}`));

describe('tray state machine', () => {
  it('starts disconnected: status lines, then Connect, Open, Quit', () => {
    const view = trayView(INITIAL_TRAY_STATE, ctx);
    expect(view.icon).toBe('disconnected');
    expect(labels(view.menu)).toEqual([
      'status:Disconnected',
      'status:Profile: vpn.corp.test',
      '---',
      'action:Connect',
      '---',
      'action:Open Passerelle',
      'action:Quit',
    ]);
    expect(view.tooltip).toBe('Passerelle: Disconnected\nGateway: vpn.corp.test');
  });

  it('shows connecting at once on a click, then each phase, with Cancel', () => {
    let s = trayReduce(INITIAL_TRAY_STATE, { type: 'connect-clicked', gateway: GW });
    expect(s).toMatchObject({ kind: 'connecting', gateway: GW });
    let view = trayView(s, ctx);
    expect(view.menu[0]).toEqual({
      kind: 'status',
      label: 'Connecting to vpn.corp.test: looking up the gateway…',
    });
    expect(view.menu[2]).toMatchObject({ label: 'Cancel', action: { type: 'disconnect' } });
    s = trayReduce(s, {
      type: 'engine',
      state: { kind: 'connecting', gateway: GW, phase: 'signing-in' },
    });
    view = trayView(s, ctx);
    expect(view.menu[0]).toMatchObject({ label: 'Connecting to vpn.corp.test: signing in…' });
  });

  it('says where, which intranet address and for how long it is connected', () => {
    const since = NOON - 12 * 60_000 - 30_000;
    const s = trayReduce(INITIAL_TRAY_STATE, { type: 'engine', state: connected(since) });
    const view = trayView(s, ctx);
    expect(view.icon).toBe('connected');
    const lines = view.menu.filter((e) => e.kind === 'status').map((e) => e.label);
    expect(lines).toEqual([
      'Connected to vpn.corp.test',
      'Intranet address 100.64.0.2',
      'For 12 min (since 11:47)',
    ]);
    expect(view.menu[4]).toMatchObject({ label: 'Disconnect', action: { type: 'disconnect' } });
    const fr = trayView(s, { ...ctx, language: 'fr', now: NOON + 60 * 60_000 });
    expect(fr.menu.filter((e) => e.kind === 'status').map((e) => e.label)).toEqual([
      'Connecté à vpn.corp.test',
      'Adresse intranet 100.64.0.2',
      'Depuis 1 h 12 min (11:47)',
    ]);
  });

  it('maps reconnecting to the connecting icon with the attempt, errors to the error icon', () => {
    const r = run([
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
    ]);
    expect(r.kind).toBe('connecting');
    expect(trayView(r, ctx).menu[0]).toMatchObject({
      label: 'Reconnecting to vpn.corp.test (attempt 2)…',
    });
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
    expect(view.menu[2]).toMatchObject({ label: 'Connect', enabled: true });
  });

  it('stays up on a disconnect click until the engine is down, keeping the gateway', () => {
    const up = run([{ type: 'engine', state: connected(1, null) }]);
    expect(trayReduce(up, { type: 'disconnect-clicked' })).toBe(up);
    const down = trayReduce(up, { type: 'engine', state: { kind: 'disconnected' } });
    expect(down).toMatchObject({ kind: 'disconnected', gateway: GW });
  });

  it('offers the profiles, the current one checked, when there are several', () => {
    const view = trayView(INITIAL_TRAY_STATE, { ...ctx, profiles: PROFILES });
    const submenu = view.menu.find((e) => e.kind === 'submenu');
    expect(submenu).toEqual({
      kind: 'submenu',
      label: 'Profiles',
      items: [
        { label: 'vpn.corp.test', checked: true, action: { type: 'select-profile', id: 'corp' } },
        {
          label: 'Lab (lab.corp.test:8443)',
          checked: false,
          action: { type: 'select-profile', id: 'lab' },
        },
      ],
    });
    // One profile: nothing to switch to.
    expect(trayView(INITIAL_TRAY_STATE, ctx).menu.some((e) => e.kind === 'submenu')).toBe(false);
  });

  it('greys out Connect without a saved password and speaks French', () => {
    const view = trayView(INITIAL_TRAY_STATE, {
      ...ctx,
      language: 'fr',
      canConnect: false,
      profileGateway: null,
      profiles: [],
      activeProfileId: null,
    });
    expect(labels(view.menu)).toEqual([
      'status:Déconnecté',
      'status:Aucune passerelle configurée',
      '---',
      'action:Se connecter',
      '---',
      'action:Ouvrir Passerelle',
      'action:Quitter',
    ]);
    expect(view.menu[3]).toMatchObject({ enabled: false });
    expect(view.tooltip).toBe('Passerelle: Déconnecté\nAucune passerelle configurée');
  });
});

describe('desktops without a tray', () => {
  const linux = { platform: 'linux', sessionType: 'wayland' };
  it('knows stock GNOME shows no tray icon, and a StatusNotifier host does', () => {
    expect(
      trayAvailable({ ...linux, statusNotifierWatcher: false, currentDesktop: 'ubuntu:GNOME' }),
    ).toBe(false);
    expect(trayAvailable({ ...linux, statusNotifierWatcher: null, currentDesktop: 'GNOME' })).toBe(
      false,
    );
    // GNOME with the AppIndicator extension, KDE.
    expect(
      trayAvailable({ ...linux, statusNotifierWatcher: true, currentDesktop: 'ubuntu:GNOME' }),
    ).toBe(true);
    expect(trayAvailable({ ...linux, statusNotifierWatcher: true, currentDesktop: 'KDE' })).toBe(
      true,
    );
    // Wayland without a host has no X11 tray to fall back on; an X11 panel does.
    expect(trayAvailable({ ...linux, statusNotifierWatcher: false, currentDesktop: 'sway' })).toBe(
      false,
    );
    expect(
      trayAvailable({
        platform: 'linux',
        sessionType: 'x11',
        statusNotifierWatcher: false,
        currentDesktop: 'XFCE',
      }),
    ).toBe(true);
    expect(
      trayAvailable({
        platform: 'darwin',
        sessionType: '',
        statusNotifierWatcher: null,
        currentDesktop: '',
      }),
    ).toBe(true);
  });

  it('closing the window hides it with a tray, minimizes it without one while the tunnel is up, quits when idle', () => {
    expect(windowCloseAction(true, 'connected')).toBe('hide');
    expect(windowCloseAction(true, 'disconnected')).toBe('hide');
    expect(windowCloseAction(false, 'connected')).toBe('minimize');
    expect(windowCloseAction(false, 'connecting')).toBe('minimize');
    expect(windowCloseAction(false, 'reconnecting')).toBe('minimize');
    expect(windowCloseAction(false, 'disconnected')).toBe('quit');
    expect(windowCloseAction(false, 'error')).toBe('quit');
  });
});
