// How an engine state is told in the window: one label and one tone per state (the pill, the
// big label and the tray agree), and the sentence for an error with everything its state
// carries (cause, the time a lockout ends, where the app runs).
import type { EngineState } from '../main/engine/types.js';
import type { InstallKind } from '../shared/ipc-schema.js';
import { formatClock } from './format.js';
import type { Language, Messages } from './i18n/messages.js';

/** Colour families: grey, amber (under way or waiting for the user), green, red. */
export type Tone = 'neutral' | 'progress' | 'success' | 'warning' | 'danger';

export type ErrorState = Extract<EngineState, { kind: 'error' }>;

export function presentState(state: EngineState, m: Messages): { label: string; tone: Tone } {
  switch (state.kind) {
    case 'disconnected':
      return { label: m.state.disconnected, tone: 'neutral' };
    case 'connecting':
      return { label: m.state.connecting, tone: 'progress' };
    case 'reconnecting':
      return { label: m.state.reconnecting, tone: 'progress' };
    case 'connected':
      return { label: m.state.connected, tone: 'success' };
    case 'error':
      // Nothing failed when the gateway asks for a code or for a decision about a certificate
      // it has never shown: it waits for the user. A changed certificate is the loud case.
      switch (state.reason) {
        case 'otp-required':
          return { label: m.state.needsCode, tone: 'warning' };
        case 'untrusted-certificate':
          return { label: m.state.checkCertificate, tone: 'warning' };
        case 'certificate-changed':
          return { label: m.state.certificateChanged, tone: 'danger' };
        default:
          return { label: m.state.failed, tone: 'danger' };
      }
  }
}

/** The sentences of an error banner: what happened, then (when known) why and what to do. */
export function errorSentences(
  state: ErrorState,
  m: Messages,
  lang: Language,
  installKind: InstallKind,
): string[] {
  const host = hostOf(state.gateway);
  switch (state.reason) {
    case 'gateway-unreachable':
      return state.cause
        ? [m.unreachable(host), m.causes[state.cause]]
        : [m.errors['gateway-unreachable']];
    case 'rate-limited':
      return state.retryAt !== undefined
        ? [m.rateLimitedUntil(formatClock(state.retryAt, lang))]
        : [m.errors['rate-limited']];
    case 'no-privileges':
      return [m.noPrivileges[installKind]];
    default:
      return [m.errors[state.reason] ?? m.errors.internal];
  }
}

export function hostOf(gatewayUrl: string): string {
  try {
    return new URL(gatewayUrl).host;
  } catch {
    return gatewayUrl;
  }
}
