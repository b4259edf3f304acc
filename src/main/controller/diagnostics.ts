// "Copy diagnostics": what support asks for, as plain text a user can paste into a ticket:
// version, system, state, the tunnel's settings, counters, the last problems and the recent log.
// Never a password, a one-time code or a session token: nothing secret is handed to this code,
// and the text is scrubbed of anything shaped like one on top (a log line that quoted a header,
// a future engine message).
import type { EngineState } from '../engine/types.js';
import type { InstallKind, LogLine, Preferences, TunnelStats } from '../../shared/ipc-schema.js';
import { gatewayLabel } from './messages.js';

export interface DiagnosticsInput {
  generatedAt: number;
  version: string;
  installKind: InstallKind;
  /** "linux 6.1.0-18-amd64 x64". */
  system: string;
  /** "Electron 45.5.0, Node 22.20.0" (or Node alone outside Electron). */
  runtime: string;
  language: string;
  trayAvailable: boolean;
  state: EngineState;
  stats: TunnelStats | null;
  profiles: { count: number; activeGateway: string | null; activeTrust: string | null };
  preferences: Preferences;
  settingsProblem: string | null;
  log: readonly LogLine[];
}

const RECENT_LINES = 40;
const PROBLEM_LINES = 10;

/** Removes what looks like a secret: bearer tokens, key=value secrets, gateway tokens. */
export function redactSecrets(text: string): string {
  return (
    text
      .replace(/\b(Bearer|Basic)\s+[^\s"',;]+/gi, '$1 [redacted]')
      .replace(
        /\b(password|passwd|token|otp|secret|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;]+/gi,
        '$1$2[redacted]',
      )
      // Gateway session tokens: 32 random bytes in base64url, 43 characters.
      .replace(/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, '[redacted]')
  );
}

function describeState(state: EngineState, now: number): string {
  switch (state.kind) {
    case 'disconnected':
      return 'disconnected';
    case 'connecting':
      return `connecting to ${gatewayLabel(state.gateway)} (phase ${state.phase})`;
    case 'connected':
      return `connected to ${gatewayLabel(state.gateway)}, intranet address ${state.intranetIp ?? 'none'}, for ${Math.round((now - state.since) / 1000)} s`;
    case 'reconnecting':
      return `reconnecting to ${gatewayLabel(state.gateway)}, attempt ${state.attempt}, cause ${state.cause}: ${state.reason}`;
    case 'error': {
      const extra = [
        state.cause ? `cause ${state.cause}` : null,
        state.retryAt !== undefined ? `retry at ${new Date(state.retryAt).toISOString()}` : null,
        state.certificate
          ? `certificate ${state.certificate.subject} issued by ${state.certificate.issuer}, ${state.certificate.problem} (${state.certificate.detail}), sha256 ${state.certificate.sha256}`
          : null,
      ].filter((x) => x !== null);
      return `error ${state.reason}${extra.length ? ` (${extra.join('; ')})` : ''}: ${state.message}`;
    }
  }
}

function tunnelLine(state: EngineState): string | null {
  if (state.kind !== 'connected') return null;
  const t = state.tunnel;
  const dns =
    t.dns.scope === 'none'
      ? 'no intranet DNS'
      : `DNS ${t.dns.servers.join(', ')} for ${t.dns.scope === 'all' ? 'every name' : t.dns.domains.join(', ')}`;
  return `${t.splitTunnel ? 'split' : 'full'} tunnel; routes ${t.routes.join(', ') || 'none'}; ${dns}`;
}

function countersLine(stats: TunnelStats): string {
  const f = (c: { tcp: number; udp: number; icmp: number }) =>
    `tcp ${c.tcp}, udp ${c.udp}, icmp ${c.icmp}`;
  const dropped = Object.entries(stats.dropped)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return [
    `received ${stats.bytesIn} B (${Math.round(stats.bytesInPerSecond)} B/s)`,
    `sent ${stats.bytesOut} B (${Math.round(stats.bytesOutPerSecond)} B/s)`,
    `round trip ${stats.rttMs === null ? 'unknown' : `${stats.rttMs} ms`}`,
    `flows open: ${f(stats.flows)}`,
    `flows since connect: ${f(stats.flowsTotal)}`,
    `dropped packets: ${dropped || 'none'}`,
  ].join('\n  ');
}

function logLine(line: LogLine): string {
  return `${new Date(line.time).toISOString()} ${line.level.padEnd(5)} ${line.message}`;
}

export function buildDiagnostics(input: DiagnosticsInput): string {
  const p = input.preferences;
  const lines = [
    `Passerelle diagnostics, ${new Date(input.generatedAt).toISOString()}`,
    `Version: ${input.version} (${input.installKind})`,
    `System: ${input.system}; ${input.runtime}`,
    `Language: ${input.language}; tray icon shown: ${input.trayAvailable ? 'yes' : 'no'}`,
    `State: ${describeState(input.state, input.generatedAt)}`,
  ];
  const tunnel = tunnelLine(input.state);
  if (tunnel) lines.push(`Tunnel: ${tunnel}`);
  lines.push(
    `Profiles: ${input.profiles.count}; active: ${
      input.profiles.activeGateway
        ? `${gatewayLabel(input.profiles.activeGateway)}, trust ${input.profiles.activeTrust}`
        : 'none'
    }`,
    `Preferences: start at login ${p.startAtLogin}, connect at start ${p.connectAtStart}, start hidden ${p.startHidden}, language ${p.language}, theme ${p.theme}`,
  );
  if (input.settingsProblem) lines.push(`Settings file refused: ${input.settingsProblem}`);
  lines.push(input.stats ? `Counters:\n  ${countersLine(input.stats)}` : 'Counters: none');
  const problems = input.log.filter((l) => l.level !== 'info').slice(-PROBLEM_LINES);
  lines.push(
    `Last problems (${problems.length}):`,
    ...(problems.length ? problems.map((l) => `  ${logLine(l)}`) : ['  none']),
    `Recent log (last ${Math.min(RECENT_LINES, input.log.length)} lines):`,
    ...input.log.slice(-RECENT_LINES).map((l) => `  ${logLine(l)}`),
  );
  return redactSecrets(`${lines.join('\n')}\n`);
}

/** The log as a text file (Logs → Copy, Save). */
export function logText(log: readonly LogLine[]): string {
  return redactSecrets(log.map((l) => `${logLine(l)}\n`).join(''));
}
