// The intranet address pool. One lease per user, shared by that user's concurrent sessions
// (the gateway proxies every flow, so two of a user's machines may carry the same intranet
// IP). When the last session ends the address is freed but remembered, so the user gets the
// same address back on re-login unless someone else took it meanwhile.
import { cidrSize, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../shared/net/ipv4.js';

interface Lease {
  user: string;
  sessions: number;
}

export class PoolExhaustedError extends Error {
  constructor(pool: string) {
    super(`address pool ${pool} has no free address`);
  }
}

export class AddressPool {
  readonly cidr: Cidr;
  private readonly first: number;
  private readonly last: number;
  private readonly leases = new Map<number, Lease>();
  private readonly byUser = new Map<string, number>();
  /** Where the user's last lease was; bounded by the pool size (one entry per address). */
  private readonly remembered = new Map<string, number>();
  private readonly rememberedBy = new Map<number, string>();
  private cursor: number;

  constructor(readonly text: string) {
    this.cidr = parseCidr(text);
    const size = cidrSize(this.cidr);
    // /31 and /32 have no network/broadcast addresses to skip (RFC 3021).
    this.first = size <= 2 ? this.cidr.network : this.cidr.network + 1;
    this.last = size <= 2 ? this.cidr.network + size - 1 : this.cidr.network + size - 2;
    this.cursor = this.first;
  }

  get capacity(): number {
    return this.last - this.first + 1;
  }

  get leased(): number {
    return this.leases.size;
  }

  /** Returns the user's address, taking a new one when the user has none. */
  acquire(user: string): string {
    const current = this.byUser.get(user);
    if (current !== undefined) {
      (this.leases.get(current) as Lease).sessions++;
      return formatIPv4(current);
    }
    const preferred = this.remembered.get(user);
    const address =
      preferred !== undefined && !this.leases.has(preferred) ? preferred : this.findFree();
    this.leases.set(address, { user, sessions: 1 });
    this.byUser.set(user, address);
    this.remember(user, address);
    return formatIPv4(address);
  }

  /** Ends one session's use of the address; frees it with the last one. */
  release(user: string, address: string): void {
    const value = parseIPv4(address);
    const lease = this.leases.get(value);
    if (!lease || lease.user !== user) return;
    lease.sessions--;
    if (lease.sessions <= 0) {
      this.leases.delete(value);
      this.byUser.delete(user);
    }
  }

  /** Re-registers an address leased before a reload (a session that outlives a pool change). */
  adopt(user: string, address: string): boolean {
    const value = parseIPv4(address);
    if (value < this.first || value > this.last) return false;
    const lease = this.leases.get(value);
    if (lease && lease.user !== user) return false;
    if (lease) lease.sessions++;
    else this.leases.set(value, { user, sessions: 1 });
    this.byUser.set(user, value);
    this.remember(user, value);
    return true;
  }

  private findFree(): number {
    // First pass: an address nobody holds or remembers, so returning users keep theirs.
    // Second pass: any address nobody holds, taking it from the user who remembered it.
    for (const avoidRemembered of [true, false]) {
      for (let tried = 0; tried < this.capacity; tried++) {
        const candidate = this.cursor;
        this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1;
        if (this.leases.has(candidate)) continue;
        const rememberedBy = this.rememberedBy.get(candidate);
        if (rememberedBy !== undefined) {
          if (avoidRemembered) continue;
          this.remembered.delete(rememberedBy);
          this.rememberedBy.delete(candidate);
        }
        return candidate;
      }
    }
    throw new PoolExhaustedError(this.text);
  }

  private remember(user: string, address: number): void {
    const previous = this.remembered.get(user);
    if (previous !== undefined) this.rememberedBy.delete(previous);
    const previousUser = this.rememberedBy.get(address);
    if (previousUser !== undefined) this.remembered.delete(previousUser);
    this.remembered.set(user, address);
    this.rememberedBy.set(address, user);
  }
}
