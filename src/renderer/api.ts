// The renderer's only door to the rest of the app: window.passerelle, put there by the preload
// (or by the UI test harness), typed by the IPC schema.
import type { PasserelleApi } from '../shared/ipc-schema.js';

declare global {
  interface Window {
    passerelle: PasserelleApi;
  }
}

export function api(): PasserelleApi {
  return window.passerelle;
}

// For these, the main process's message names the file or the system error: worth showing.
const WITH_DETAIL = new Set(['keychain', 'ca-unreadable', 'autostart', 'invalid-request', 'other']);

/** Turns an error thrown by an API call into words, using the controller's code when known. */
export function errorText(err: unknown, known: Record<string, string>): string {
  const raw = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'other';
  const code = raw in known ? raw : 'other';
  const message = err instanceof Error ? err.message : String(err);
  const words = known[code] ?? '';
  return WITH_DETAIL.has(code) && message ? `${words} ${message}` : words;
}
