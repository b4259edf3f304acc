// Which desktop notification (if any) a change of engine state deserves, in plain words.
import type { EngineState } from '../engine/types.js';
import type { InstallKind, Language } from '../../shared/ipc-schema.js';
import { MAIN_MESSAGES, errorSentence, gatewayLabel } from './messages.js';

export interface DesktopNotification {
  title: string;
  body: string;
  /** Errors stay until dismissed where the desktop allows it. */
  urgent: boolean;
}

export function notificationFor(
  previous: EngineState,
  next: EngineState,
  language: Language,
  installKind: InstallKind = 'other',
): DesktopNotification | null {
  const m = MAIN_MESSAGES[language];
  switch (next.kind) {
    case 'connected':
      if (previous.kind === 'connected') return null;
      return {
        title: m.connectedTitle,
        body: m.connectedBody(gatewayLabel(next.gateway), next.intranetIp),
        urgent: false,
      };
    case 'disconnected':
      // Only a tunnel that was up going down is news; a failed attempt was already told.
      if (previous.kind !== 'connected' && previous.kind !== 'reconnecting') return null;
      return {
        title: m.disconnectedTitle,
        body: m.disconnectedBody(gatewayLabel(previous.gateway)),
        urgent: false,
      };
    case 'reconnecting':
      if (previous.kind !== 'connected') return null;
      return {
        title: m.reconnectingTitle,
        body: m.reconnectingBody(gatewayLabel(next.gateway), m.cause[next.cause]),
        urgent: false,
      };
    case 'error':
      if (previous.kind === 'error' && previous.reason === next.reason) return null;
      return {
        title: m.errorTitle,
        body: errorSentence(next, language, installKind),
        urgent: true,
      };
    case 'connecting':
      return null;
  }
}
