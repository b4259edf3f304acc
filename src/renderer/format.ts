// Numbers, sizes, times and ports as people read them, in the window's language.
import type { PortRange, Protocol } from '../shared/protocol/session.js';
import type { Language, Messages } from './i18n/messages.js';

export { formatDuration } from '../shared/duration.js';

const LOCALE: Record<Language, string> = { en: 'en-GB', fr: 'fr-FR' };

export function formatNumber(value: number, lang: Language, fractionDigits = 0): string {
  return new Intl.NumberFormat(LOCALE[lang], {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

/**
 * Decimal units (kB = 1000 B), one decimal above a kilobyte; `compact` drops a decimal that
 * says nothing (axis labels: "500 kB", "2.5 MB").
 */
export function formatBytes(bytes: number, lang: Language, m: Messages, compact = false): string {
  const units = [m.units.byte, m.units.kilo, m.units.mega, m.units.giga];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || (compact && Number.isInteger(Math.round(value * 10) / 10)) ? 0 : 1;
  return `${formatNumber(value, lang, digits)} ${units[unit]}`;
}

export function formatRate(
  bytesPerSecond: number,
  lang: Language,
  m: Messages,
  compact = false,
): string {
  return `${formatBytes(bytesPerSecond, lang, m, compact)}${m.units.perSecond}`;
}

export function formatTime(epochMs: number, lang: Language): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { timeStyle: 'medium' }).format(new Date(epochMs));
}

/** A round trip: "0.4 ms" on a LAN, "23 ms" further away. */
export function formatMs(ms: number, lang: Language, m: Messages): string {
  return `${formatNumber(ms, lang, ms < 10 && ms !== 0 ? 1 : 0)} ${m.units.ms}`;
}

/** "14:32": when a wait ends. */
export function formatClock(epochMs: number, lang: Language): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { hour: '2-digit', minute: '2-digit' }).format(
    new Date(epochMs),
  );
}

/** "1 March 2030" / "1 mars 2030": a certificate's validity. */
export function formatDate(iso: string, lang: Language): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'long' }).format(new Date(time));
}

/**
 * Well-known services by port, so that "22" reads "22 (SSH)". Only ports whose service is
 * unambiguous in an intranet; the names are the same in every language.
 */
const SERVICES: Readonly<Record<number, string>> = {
  7: 'Echo',
  20: 'FTP data',
  21: 'FTP',
  22: 'SSH',
  23: 'Telnet',
  25: 'SMTP',
  53: 'DNS',
  80: 'HTTP',
  88: 'Kerberos',
  110: 'POP3',
  123: 'NTP',
  143: 'IMAP',
  161: 'SNMP',
  389: 'LDAP',
  443: 'HTTPS',
  445: 'SMB',
  465: 'SMTPS',
  514: 'Syslog',
  587: 'SMTP submission',
  636: 'LDAPS',
  993: 'IMAPS',
  995: 'POP3S',
  1433: 'SQL Server',
  1521: 'Oracle',
  2049: 'NFS',
  3306: 'MySQL',
  3389: 'Remote Desktop',
  5432: 'PostgreSQL',
  5900: 'VNC',
  6379: 'Redis',
  8080: 'HTTP',
  8443: 'HTTPS',
};

export function serviceName(port: number): string | undefined {
  return SERVICES[port];
}

/**
 * A resource's ports as shown: "22 (SSH), 8000–8100"; every port when none are listed; and
 * for a resource that is ICMP only, `pingOnly` (ports mean nothing to ping).
 */
export function formatPorts(
  ports: readonly PortRange[],
  labels: { allPorts: string; pingOnly: string },
  protocols: readonly Protocol[] = ['tcp', 'udp'],
): string {
  if (protocols.length > 0 && protocols.every((p) => p === 'icmp')) return labels.pingOnly;
  if (ports.length === 0) return labels.allPorts;
  return ports
    .map((p) => {
      if (p.from !== p.to) return `${p.from}–${p.to}`;
      const service = serviceName(p.from);
      return service ? `${p.from} (${service})` : String(p.from);
    })
    .join(', ');
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
