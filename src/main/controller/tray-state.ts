// The tray as a small pure state machine: engine states and user clicks in, the icon, tooltip
// and menu out (status lines, Connect/Disconnect, profile switching, Open, Quit). The Electron
// shell only draws what trayView() returns. Also here: whether the desktop shows a tray at all,
// and what closing the window does when it does not.
import type { EngineState } from '../engine/types.js';
import type { Language } from '../../shared/ipc-schema.js';
import { formatMinutes } from '../../shared/duration.js';
import { MAIN_MESSAGES, clockTime, gatewayLabel } from './messages.js';

export type TrayIconName = 'disconnected' | 'connecting' | 'connected' | 'error';

export interface TrayState {
  kind: TrayIconName;
  /** The gateway the state is about, if any. */
  gateway: string | null;
  /** The engine state behind it, for the status lines (null right after a click). */
  engine: EngineState | null;
}

export type TrayEvent =
  | { type: 'engine'; state: EngineState }
  /** A click on Connect shows "connecting" at once, before the engine reports it. */
  | { type: 'connect-clicked'; gateway: string }
  | { type: 'disconnect-clicked' };

export const INITIAL_TRAY_STATE: TrayState = { kind: 'disconnected', gateway: null, engine: null };

export function trayReduce(state: TrayState, event: TrayEvent): TrayState {
  switch (event.type) {
    case 'connect-clicked':
      return state.kind === 'connected'
        ? state
        : { kind: 'connecting', gateway: event.gateway, engine: null };
    case 'disconnect-clicked':
      // Stay as is until the engine says it is down: the tunnel is still up meanwhile.
      return state;
    case 'engine': {
      const s = event.state;
      switch (s.kind) {
        case 'disconnected':
          return { kind: 'disconnected', gateway: state.gateway, engine: s };
        case 'connecting':
        case 'reconnecting':
          return { kind: 'connecting', gateway: s.gateway, engine: s };
        case 'connected':
          return { kind: 'connected', gateway: s.gateway, engine: s };
        case 'error':
          return { kind: 'error', gateway: s.gateway, engine: s };
      }
    }
  }
}

/** What a menu item does; the shell hands it back to the controller. */
export type TrayAction =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'open' }
  | { type: 'quit' }
  | { type: 'select-profile'; id: string };

export type TrayMenuEntry =
  /** A line of text that cannot be clicked (the status). */
  | { kind: 'status'; label: string }
  | { kind: 'separator' }
  | { kind: 'action'; label: string; enabled: boolean; action: TrayAction }
  | {
      kind: 'submenu';
      label: string;
      items: { label: string; checked: boolean; action: TrayAction }[];
    };

export interface TrayView {
  icon: TrayIconName;
  tooltip: string;
  menu: TrayMenuEntry[];
}

export interface TrayProfile {
  id: string;
  name: string;
  gatewayUrl: string;
}

export interface TrayContext {
  language: Language;
  /** Connect needs a saved profile with a remembered password. */
  canConnect: boolean;
  /** The active profile's gateway, shown while disconnected. */
  profileGateway: string | null;
  profiles: TrayProfile[];
  activeProfileId: string | null;
  /** For the connection's duration. */
  now: number;
}

/** The status lines: what the tray says before any action. */
function statusLines(state: TrayState, ctx: TrayContext): string[] {
  const m = MAIN_MESSAGES[ctx.language];
  const gateway = state.gateway ?? ctx.profileGateway;
  const gw = gateway ? gatewayLabel(gateway) : null;
  const active = ctx.profiles.find((p) => p.id === ctx.activeProfileId);
  const e = state.engine;
  switch (state.kind) {
    case 'connected': {
      const lines = [m.status.connectedTo(gw ?? '')];
      if (e?.kind === 'connected') {
        if (e.intranetIp) lines.push(m.status.intranetIp(e.intranetIp));
        lines.push(
          m.status.duration(formatMinutes(ctx.now - e.since), clockTime(e.since, ctx.language)),
        );
      }
      return lines;
    }
    case 'connecting':
      if (e?.kind === 'reconnecting') return [m.status.reconnectingTo(gw ?? '', e.attempt)];
      return [
        m.status.connectingTo(
          gw ?? '',
          e?.kind === 'connecting' ? m.phase[e.phase] : m.phase.resolving,
        ),
      ];
    case 'error':
      return [m.status.failed];
    case 'disconnected':
      return active
        ? [m.status.disconnected, m.status.profile(profileLabel(active))]
        : [m.status.disconnected, m.noProfile];
  }
}

function profileLabel(p: TrayProfile): string {
  const host = gatewayLabel(p.gatewayUrl);
  return p.name === host ? host : `${p.name} (${host})`;
}

export function trayView(state: TrayState, ctx: TrayContext): TrayView {
  const m = MAIN_MESSAGES[ctx.language];
  const gateway = state.gateway ?? ctx.profileGateway;
  const tooltip = [
    `${m.appName}: ${m.state[state.kind]}`,
    gateway ? m.tooltipGateway(gatewayLabel(gateway)) : m.noProfile,
  ].join('\n');

  const menu: TrayMenuEntry[] = statusLines(state, ctx).map((label) => ({
    kind: 'status',
    label,
  }));
  menu.push({ kind: 'separator' });
  if (state.kind === 'connected') {
    menu.push({
      kind: 'action',
      label: m.menu.disconnect,
      enabled: true,
      action: { type: 'disconnect' },
    });
  } else if (state.kind === 'connecting') {
    menu.push({
      kind: 'action',
      label: m.menu.cancel,
      enabled: true,
      action: { type: 'disconnect' },
    });
  } else {
    menu.push({
      kind: 'action',
      label: m.menu.connect,
      enabled: ctx.canConnect,
      action: { type: 'connect' },
    });
  }
  // One profile needs no switching.
  if (ctx.profiles.length > 1) {
    menu.push({
      kind: 'submenu',
      label: m.menu.profiles,
      items: ctx.profiles.map((p) => ({
        label: profileLabel(p),
        checked: p.id === ctx.activeProfileId,
        action: { type: 'select-profile', id: p.id },
      })),
    });
  }
  menu.push(
    { kind: 'separator' },
    { kind: 'action', label: m.menu.open, enabled: true, action: { type: 'open' } },
    { kind: 'action', label: m.menu.quit, enabled: true, action: { type: 'quit' } },
  );
  return { icon: state.kind, tooltip, menu };
}

// ---------- desktops without a tray ----------

export interface TrayEnvironment {
  platform: string;
  /**
   * Whether a StatusNotifierItem host is on the session bus (the name
   * org.kde.StatusNotifierWatcher has an owner); null when that could not be asked.
   */
  statusNotifierWatcher: boolean | null;
  /** $XDG_CURRENT_DESKTOP, e.g. "ubuntu:GNOME". */
  currentDesktop: string;
  /** $XDG_SESSION_TYPE ("wayland", "x11") or "". */
  sessionType: string;
}

/**
 * Whether a tray icon will be seen. Linux desktops show one through a StatusNotifierItem host
 * (KDE, most panels, GNOME with the AppIndicator extension) or an X11 system tray (XEmbed, which
 * GNOME dropped in 3.26 and Wayland does not have). Stock GNOME has neither.
 */
export function trayAvailable(env: TrayEnvironment): boolean {
  if (env.platform !== 'linux') return true;
  if (env.statusNotifierWatcher === true) return true;
  const gnome = /gnome/i.test(env.currentDesktop);
  if (gnome) return false;
  if (env.statusNotifierWatcher === false && env.sessionType === 'wayland') return false;
  return true; // an X11 panel with an XEmbed tray, or we could not ask and it is not GNOME
}

export type WindowCloseAction = 'hide' | 'minimize' | 'quit';

/**
 * What closing the window does. With a tray it hides (the tray brings it back). Without one, a
 * hidden window with the tunnel up could not be found again: it is minimized instead, and when
 * nothing runs, closing quits like any other app.
 */
export function windowCloseAction(
  trayIsAvailable: boolean,
  tunnel: EngineState['kind'],
): WindowCloseAction {
  if (trayIsAvailable) return 'hide';
  return tunnel === 'disconnected' || tunnel === 'error' ? 'quit' : 'minimize';
}
