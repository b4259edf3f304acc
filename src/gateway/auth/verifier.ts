// Password verifications for logins, bounded and on threads of their own.
//
// scrypt costs ~100 ms of a core and 32 MiB per login. Run in libuv's thread pool (what
// crypto.scrypt does), a flood of failed logins filled its four threads and queued everything
// else that uses them behind it: the gateway's name resolution (dns.lookup) for CONNECT by name
// waited seconds. So verifications run on `size` worker threads of their own, at most `size` at
// once, with at most `queueLimit` waiting; past that a login is refused at once (503), never
// queued without bound. An unknown user's dummy verification takes a slot like any other, so
// the answer and its time still do not tell unknown users from wrong passwords.
import { Worker } from 'node:worker_threads';
import { scryptOptions, type DeriveKey } from './password.js';

/** Every verification slot is busy and the queue is full. */
export class VerifierBusyError extends Error {
  constructor() {
    super('too many logins being verified');
    this.name = 'VerifierBusyError';
  }
}

// A script rather than a file: it runs the same from dist/ and from the TypeScript sources
// under the unit tests, and it is all the worker does.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', (job) => {
  try {
    parentPort.postMessage({ key: scryptSync(job.password, job.salt, job.keyLength, job.options) });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

interface Job {
  password: string;
  salt: Buffer;
  keyLength: number;
  options: ReturnType<typeof scryptOptions>;
  resolve: (key: Buffer) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

export class PasswordVerifier {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(
    private size: number,
    private queueLimit: number,
  ) {}

  /** New bounds (reload): extra workers stop once idle; jobs already queued stay. */
  reconfigure(size: number, queueLimit: number): void {
    this.size = size;
    this.queueLimit = queueLimit;
    this.retireExtraWorkers();
  }

  /** Verifications running now. */
  get inFlight(): number {
    return this.slots.filter((slot) => slot.job).length;
  }

  /** A `DeriveKey` for verifyPassword; rejects with VerifierBusyError when full. */
  readonly derive: DeriveKey = (password, salt, keyLength, params) =>
    new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('the password verifier is closed'));
      const job: Job = {
        password,
        salt,
        keyLength,
        options: scryptOptions(params),
        resolve,
        reject,
      };
      const slot = this.idleSlot();
      if (slot) this.run(slot, job);
      else if (this.queue.length < this.queueLimit) this.queue.push(job);
      else reject(new VerifierBusyError());
    });

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the gateway is stopping'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((slot) => !slot.job);
    if (idle) return idle;
    if (this.slots.length >= this.size) return undefined;
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), job: undefined };
    // Idle workers must not keep the process alive at shutdown.
    slot.worker.unref();
    slot.worker.on('message', (answer: { key?: Uint8Array; error?: string }) => {
      const job = slot.job;
      slot.job = undefined;
      if (answer.key) job?.resolve(Buffer.from(answer.key));
      else job?.reject(new Error(`scrypt failed: ${answer.error}`));
      this.next(slot);
    });
    slot.worker.on('error', (err) => this.lose(slot, err));
    slot.worker.on('exit', (code) => this.lose(slot, new Error(`exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    const { password, salt, keyLength, options } = job;
    slot.worker.postMessage({ password, salt, keyLength, options });
  }

  private next(slot: Slot): void {
    if (this.slots.indexOf(slot) >= this.size) {
      this.retireExtraWorkers();
      return;
    }
    const job = this.queue.shift();
    if (job) this.run(slot, job);
  }

  /** A worker died: its login fails (500, logged), the next login starts a new one. */
  private lose(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    slot.job?.reject(new Error(`password worker failed: ${err.message}`));
    slot.job = undefined;
    const job = this.queue.shift();
    if (!job || this.closed) return;
    const replacement = this.idleSlot();
    if (replacement) this.run(replacement, job);
    else this.queue.unshift(job);
  }

  private retireExtraWorkers(): void {
    for (const slot of this.slots.slice(this.size))
      if (!slot.job) {
        this.slots.splice(this.slots.indexOf(slot), 1);
        void slot.worker.terminate();
      }
  }
}
