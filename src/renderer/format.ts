// Numbers, sizes and durations as people read them, in the window's language.
import type { PortRange } from '../shared/protocol/session.js';
import type { Language, Messages } from './i18n/messages.js';

const LOCALE: Record<Language, string> = { en: 'en-GB', fr: 'fr-FR' };

export function formatNumber(value: number, lang: Language, fractionDigits = 0): string {
  return new Intl.NumberFormat(LOCALE[lang], {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

/** Decimal units (kB = 1000 B), one decimal above a kilobyte. */
export function formatBytes(bytes: number, lang: Language, m: Messages): string {
  const units = [m.units.byte, m.units.kilo, m.units.mega, m.units.giga];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${formatNumber(value, lang, unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatRate(bytesPerSecond: number, lang: Language, m: Messages): string {
  return `${formatBytes(bytesPerSecond, lang, m)}${m.units.perSecond}`;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const min = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${pad(min)} min`;
  if (min > 0) return `${min} min ${pad(s)} s`;
  return `${s} s`;
}

export function formatTime(epochMs: number, lang: Language): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { timeStyle: 'medium' }).format(new Date(epochMs));
}

export function formatPorts(ports: readonly PortRange[], allLabel: string): string {
  if (ports.length === 0) return allLabel;
  return ports.map((p) => (p.from === p.to ? String(p.from) : `${p.from}–${p.to}`)).join(', ');
}

/**
 * The fingerprint an untrusted-certificate error message carries, as a pin ("sha256:…"), if
 * any. The engine writes "…; sha256 fingerprint AB:CD:…" (or "(sha256 AB:CD:…)" for a pin
 * mismatch); a message already in the pin form is taken as is.
 */
export function fingerprintIn(message: string): string | null {
  const pin = /sha256:[A-Za-z0-9+/=:]+/i.exec(message)?.[0];
  if (pin) return pin;
  const hex = /sha256(?: fingerprint)?\s+((?:[0-9a-f]{2}:){31}[0-9a-f]{2}|[0-9a-f]{64})\b/i.exec(
    message,
  )?.[1];
  return hex ? `sha256:${hex.toUpperCase()}` : null;
}

/** "vpn.example.com" → "https://vpn.example.com"; null when it cannot be a gateway address. */
export function normaliseGatewayAddress(input: string): string | null {
  const text = input.trim();
  if (text === '') return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  try {
    const url = new URL(withScheme);
    if (
      url.protocol !== 'https:' ||
      url.hostname === '' ||
      (url.pathname !== '/' && url.pathname !== '')
    ) {
      return null;
    }
    return url.origin;
  } catch {
    return null;
  }
}
