// NAT slots for TCP flows (DESIGN §3: each flow is B:n → A:L towards a local listener). A slot
// is one (listener, port n) pair. The listener side of a closed connection sits in TIME_WAIT
// on (A:L, B:n) for 60 s, and a new SYN onto such a pair may be refused; so slots are handed
// out least-recently-released first, and several listeners multiply the pairs: with 4
// listeners and 55,000 ports a pair comes back only after 220,000 connections.

export const FIRST_NAT_PORT = 10_000;
export const NAT_PORTS = 55_000;

export class NatSlots {
  private readonly free: number[] = [];
  private head = 0;

  constructor(readonly listeners: number) {
    // Interleave listeners so consecutive flows use different listeners.
    for (let port = 0; port < NAT_PORTS; port++) {
      for (let listener = 0; listener < listeners; listener++)
        this.free.push(listener * NAT_PORTS + port);
    }
  }

  get capacity(): number {
    return this.listeners * NAT_PORTS;
  }

  get available(): number {
    return this.free.length - this.head;
  }

  /** A slot, or undefined when every pair is taken. */
  take(): number | undefined {
    if (this.head >= this.free.length) return undefined;
    const slot = this.free[this.head++] as number;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 4096 && this.head * 2 > this.free.length) {
      this.free.splice(0, this.head);
      this.head = 0;
    }
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }
}

export function slotListener(slot: number): number {
  return Math.floor(slot / NAT_PORTS);
}

export function slotPort(slot: number): number {
  return FIRST_NAT_PORT + (slot % NAT_PORTS);
}

/** The slot of (listener index, NAT port), or -1 when the port is outside the NAT range. */
export function slotOf(listener: number, port: number): number {
  const offset = port - FIRST_NAT_PORT;
  return offset < 0 || offset >= NAT_PORTS ? -1 : listener * NAT_PORTS + offset;
}
