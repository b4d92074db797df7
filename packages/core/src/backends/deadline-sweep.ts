import { performance } from 'node:perf_hooks';

/** How often armed deadlines are checked (ms): a limit fires at most this much late. */
const DEFAULT_TICK_MS = 25;

/**
 * One timer for every upstream deadline of a forwarder (connect, response headers, upload
 * and response idleness, ARCHITECTURE §7). A `setTimeout` per deadline, refreshed on every
 * chunk, cost ~3% of the proxy's CPU under load (timer-list inserts and clock reads per
 * chunk); here arming links the deadline into a list, a `touch` is a field write against a
 * clock read once per tick, and the sweep runs only while some deadline is armed. Limits
 * fire between `limitMs` and `limitMs + 2 × tickMs` after their start or last touch (never
 * early).
 *
 * The armed deadlines form an intrusive doubly linked list, not a `Set`: the sweep lives as
 * long as the proxy, and a long-lived hash set churned by every request keeps allocating
 * its rehashed tables in the old generation (garbage that only a full GC collects).
 */
export class DeadlineSweep {
  /** Sentinel of the armed list: `head.next` is the oldest armed deadline. */
  private readonly head: Deadline = new Deadline(this, () => undefined);
  private armedCount = 0;
  private timer: NodeJS.Timeout | null = null;
  /** `performance.now()` at the last tick (or when the sweep started): what deadlines count from. */
  private clock = 0;

  constructor(private readonly tickMs = DEFAULT_TICK_MS) {
    this.head.next = this.head;
    this.head.prev = this.head;
  }

  /** A new, unarmed deadline that calls `onExpire` (at most once per `start`) when it runs out. */
  deadline(onExpire: () => void): Deadline {
    return new Deadline(this, onExpire);
  }

  /** Deadlines armed now (for tests and status). */
  get armed(): number {
    return this.armedCount;
  }

  /** Stops the sweep; armed deadlines never fire (forwarder shutdown). */
  close(): void {
    while (this.head.next !== this.head) this.head.next.stop();
    this.stopTimer();
  }

  /** @internal The sweep-clock time `limitMs` from now, never early: the clock may be up to a tick behind. */
  dueIn(limitMs: number): number {
    return this.clock + limitMs + this.tickMs;
  }

  /** @internal */
  link(deadline: Deadline): void {
    if (this.timer === null) {
      this.clock = performance.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      // Deadlines guard work that keeps the process alive by itself (sockets); they must not.
      this.timer.unref();
    }
    const last = this.head.prev;
    deadline.prev = last;
    deadline.next = this.head;
    last.next = deadline;
    this.head.prev = deadline;
    this.armedCount++;
  }

  /** @internal */
  unlink(deadline: Deadline): void {
    deadline.prev.next = deadline.next;
    deadline.next.prev = deadline.prev;
    deadline.next = deadline;
    deadline.prev = deadline;
    this.armedCount--;
  }

  private tick(): void {
    this.clock = performance.now();
    if (this.armedCount === 0) return this.stopTimer();
    let deadline = this.head.next;
    while (deadline !== this.head) {
      const next = deadline.next;
      if (deadline.due <= this.clock) deadline.expire();
      deadline = next;
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

/** One limit checked by a `DeadlineSweep`: started with a limit, pushed back by `touch`, ended by `stop`. */
export class Deadline {
  /** @internal When it runs out, on the sweep's clock (ms). */
  due = Number.POSITIVE_INFINITY;
  /** @internal Neighbours in the sweep's armed list (itself when not armed). */
  next: Deadline = this;
  /** @internal */
  prev: Deadline = this;
  private limitMs = 0;
  private active = false;

  constructor(
    private readonly sweep: DeadlineSweep,
    private readonly onExpire: () => void,
  ) {}

  /** Arms it to run out `limitMs` from now (0: never; the deadline stays unarmed). */
  start(limitMs: number): this {
    this.limitMs = limitMs;
    if (limitMs <= 0 || this.active) return this;
    this.active = true;
    this.sweep.link(this);
    this.due = this.sweep.dueIn(limitMs);
    return this;
  }

  /** Activity: the limit counts again from now. */
  touch(): void {
    if (this.active) this.due = this.sweep.dueIn(this.limitMs);
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.sweep.unlink(this);
  }

  /** @internal Runs out: unarmed first, so `onExpire` may start it again. */
  expire(): void {
    if (!this.active) return;
    this.stop();
    this.onExpire();
  }
}
