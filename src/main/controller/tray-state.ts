// The tray as a small pure state machine: engine states and user clicks in, the icon, tooltip
// and menu out. The Electron shell only draws what view() returns.
import type { EngineState } from '../engine/types.js';
import type { Language } from '../../shared/ipc-schema.js';
import { MAIN_MESSAGES, gatewayLabel } from './messages.js';

export type TrayIconName = 'disconnected' | 'connecting' | 'connected' | 'error';

export interface TrayState {
  kind: TrayIconName;
  /** The gateway the state is about, if any. */
  gateway: string | null;
}

export type TrayEvent =
  | { type: 'engine'; state: EngineState }
  /** A click on Connect shows "connecting" at once, before the engine reports it. */
  | { type: 'connect-clicked'; gateway: string }
  | { type: 'disconnect-clicked' };

export const INITIAL_TRAY_STATE: TrayState = { kind: 'disconnected', gateway: null };

export function trayReduce(state: TrayState, event: TrayEvent): TrayState {
  switch (event.type) {
    case 'connect-clicked':
      return state.kind === 'connected' ? state : { kind: 'connecting', gateway: event.gateway };
    case 'disconnect-clicked':
      // Stay as is until the engine says it is down: the tunnel is still up meanwhile.
      return state;
    case 'engine': {
      const s = event.state;
      switch (s.kind) {
        case 'disconnected':
          return { kind: 'disconnected', gateway: state.gateway };
        case 'connecting':
        case 'reconnecting':
          return { kind: 'connecting', gateway: s.gateway };
        case 'connected':
          return { kind: 'connected', gateway: s.gateway };
        case 'error':
          return { kind: 'error', gateway: s.gateway };
      }
    }
  }
}

export type TrayMenuId = 'connect' | 'disconnect' | 'open' | 'quit';

export interface TrayMenuItem {
  id: TrayMenuId;
  label: string;
  enabled: boolean;
}

export interface TrayView {
  icon: TrayIconName;
  tooltip: string;
  menu: TrayMenuItem[];
}

export interface TrayContext {
  language: Language;
  /** Connect needs a saved profile with a remembered password. */
  canConnect: boolean;
  /** The active profile's gateway, shown while disconnected. */
  profileGateway: string | null;
}

export function trayView(state: TrayState, ctx: TrayContext): TrayView {
  const m = MAIN_MESSAGES[ctx.language];
  const gateway = state.gateway ?? ctx.profileGateway;
  const lines = [`${m.appName}: ${m.state[state.kind]}`];
  lines.push(gateway ? m.tooltipGateway(gatewayLabel(gateway)) : m.noProfile);
  const up = state.kind === 'connected' || state.kind === 'connecting';
  return {
    icon: state.kind,
    tooltip: lines.join('\n'),
    menu: [
      up
        ? { id: 'disconnect', label: m.menu.disconnect, enabled: true }
        : { id: 'connect', label: m.menu.connect, enabled: ctx.canConnect },
      { id: 'open', label: m.menu.open, enabled: true },
      { id: 'quit', label: m.menu.quit, enabled: true },
    ],
  };
}
