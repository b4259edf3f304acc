// NAT ports for TCP flows (DESIGN §3: each flow is B:n → A:L towards the local listener).
// Ports are handed out least-recently-released first, so a port comes back as late as
// possible: the listener side of a closed connection may sit in TIME_WAIT on (A:L, B:n).

export class NatPortPool {
  private readonly free: number[] = [];
  private head = 0;

  constructor(
    readonly first = 10_000,
    readonly last = 65_000,
  ) {
    for (let port = first; port <= last; port++) this.free.push(port);
  }

  get available(): number {
    return this.free.length - this.head;
  }

  /** A port, or undefined when every port is taken. */
  take(): number | undefined {
    if (this.head >= this.free.length) return undefined;
    const port = this.free[this.head++] as number;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 4096 && this.head * 2 > this.free.length) {
      this.free.splice(0, this.head);
      this.head = 0;
    }
    return port;
  }

  release(port: number): void {
    this.free.push(port);
  }
}
