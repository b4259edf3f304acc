// Who may open a connection to the gateway: caps on all connections (overall and per source)
// and on connections that have not logged in yet (overall and per source). Past the overall
// cap before login, the oldest such connection of the source that holds the most of them is
// closed to make room: someone who holds many idle connections loses his own first, and a user
// who connects now still gets in rather than finding the door shut for as long as they are held.
import { isIPv4 } from 'node:net';

export interface AdmissionLimits {
  connections: number;
  connectionsPerSource: number;
  unauthenticatedConnections: number;
  unauthenticatedConnectionsPerSource: number;
}

/** Why a connection was refused; the label of `passerelle_connections_refused_total`. */
export type AdmissionRefusal =
  'connections' | 'connections-per-source' | 'unauthenticated-connections-per-source';

/** One admitted connection, until `release`. */
export class Ticket {
  authenticated = false;
  released = false;
  constructor(
    readonly source: string,
    /** Called when the connection is closed to make room for a newer one. */
    readonly onEvict: () => void,
  ) {}
}

interface SourceEntry {
  all: number;
  /** Connections before login, oldest first (a Set keeps insertion order). */
  unauthenticated: Set<Ticket>;
}

/**
 * The key a source is counted under: the IPv4 address (also when it arrives IPv4-mapped), or
 * the /64 of an IPv6 address, since one IPv6 host holds a whole /64.
 */
export function sourceOf(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped) return mapped[1] as string;
  if (isIPv4(remoteAddress) || !remoteAddress.includes(':')) return remoteAddress;
  const halves = (remoteAddress.split('%')[0] ?? '').toLowerCase().split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves[1] ? halves[1].split(':') : [];
  const zeros = halves.length > 1 ? Math.max(0, 8 - left.length - right.length) : 0;
  const groups = [...left, ...Array<string>(zeros).fill('0'), ...right].slice(0, 4);
  return `${groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class Admission {
  private all = 0;
  private unauthenticated = 0;
  private readonly sources = new Map<string, SourceEntry>();

  constructor(private limits: AdmissionLimits) {}

  /** New limits apply to new connections; those open stay (except for evictions). */
  reconfigure(limits: AdmissionLimits): void {
    this.limits = limits;
  }

  get size(): number {
    return this.all;
  }

  get unauthenticatedSize(): number {
    return this.unauthenticated;
  }

  /** Admits a connection from `source`, or says which cap refuses it. */
  admit(source: string, onEvict: () => void): Ticket | AdmissionRefusal {
    const entry = this.sources.get(source);
    if (this.all >= this.limits.connections) return 'connections';
    if ((entry?.all ?? 0) >= this.limits.connectionsPerSource) return 'connections-per-source';
    if ((entry?.unauthenticated.size ?? 0) >= this.limits.unauthenticatedConnectionsPerSource)
      return 'unauthenticated-connections-per-source';
    while (this.unauthenticated >= this.limits.unauthenticatedConnections && this.evictOne());
    const ticket = new Ticket(source, onEvict);
    const mine = entry ?? { all: 0, unauthenticated: new Set<Ticket>() };
    if (!entry) this.sources.set(source, mine);
    mine.all++;
    mine.unauthenticated.add(ticket);
    this.all++;
    this.unauthenticated++;
    return ticket;
  }

  /** The connection logged in (or showed a valid token): it no longer counts as before login. */
  authenticate(ticket: Ticket): void {
    if (ticket.released || ticket.authenticated) return;
    ticket.authenticated = true;
    this.sources.get(ticket.source)?.unauthenticated.delete(ticket);
    this.unauthenticated--;
  }

  /** The connection closed. Safe to call more than once. */
  release(ticket: Ticket): void {
    if (ticket.released) return;
    ticket.released = true;
    const entry = this.sources.get(ticket.source);
    if (!ticket.authenticated) {
      entry?.unauthenticated.delete(ticket);
      this.unauthenticated--;
    }
    this.all--;
    if (entry && --entry.all === 0) this.sources.delete(ticket.source);
  }

  /** Closes the oldest connection before login of the source holding the most of them. */
  private evictOne(): boolean {
    let heaviest: SourceEntry | undefined;
    for (const entry of this.sources.values())
      if (entry.unauthenticated.size > (heaviest?.unauthenticated.size ?? 0)) heaviest = entry;
    const oldest = heaviest?.unauthenticated.values().next().value;
    if (!oldest) return false;
    this.release(oldest);
    oldest.onEvict();
    return true;
  }
}
