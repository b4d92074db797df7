import { performance } from 'node:perf_hooks';

/** How often armed deadlines are checked (ms): a limit fires at most this much late. */
const DEFAULT_TICK_MS = 25;

/**
 * One timer for every upstream deadline of a forwarder (connect, response headers, upload
 * and response idleness, ARCHITECTURE §7). A `setTimeout` per deadline, refreshed on every
 * chunk, cost ~3% of the proxy's CPU under load (timer-list inserts and clock reads per
 * chunk); here arming is a `Set.add`, a `touch` is a field write against a clock read once
 * per tick, and the sweep runs only while some deadline is armed. Limits fire between
 * `limitMs` and `limitMs + 2 × tickMs` after their start or last touch (never early).
 */
export class DeadlineSweep {
  private readonly armed = new Set<Deadline>();
  private timer: NodeJS.Timeout | null = null;
  /** `performance.now()` at the last tick (or when the sweep started): what deadlines count from. */
  private clock = 0;

  constructor(private readonly tickMs = DEFAULT_TICK_MS) {}

  /** A new, unarmed deadline that calls `onExpire` (at most once per `start`) when it runs out. */
  deadline(onExpire: () => void): Deadline {
    return new Deadline(this, onExpire);
  }

  /** Stops the sweep; armed deadlines never fire (forwarder shutdown). */
  close(): void {
    this.armed.clear();
    this.stopTimer();
  }

  /** @internal The sweep-clock time `limitMs` from now, never early: the clock may be up to a tick behind. */
  dueIn(limitMs: number): number {
    return this.clock + limitMs + this.tickMs;
  }

  /** @internal */
  arm(deadline: Deadline): void {
    if (this.timer === null) {
      this.clock = performance.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      // Deadlines guard work that keeps the process alive by itself (sockets); they must not.
      this.timer.unref();
    }
    this.armed.add(deadline);
  }

  /** @internal */
  disarm(deadline: Deadline): void {
    this.armed.delete(deadline);
  }

  private tick(): void {
    this.clock = performance.now();
    if (this.armed.size === 0) return this.stopTimer();
    for (const deadline of this.armed) {
      if (deadline.due <= this.clock) {
        this.armed.delete(deadline);
        deadline.expire();
      }
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
  private limitMs = 0;
  private active = false;

  constructor(
    private readonly sweep: DeadlineSweep,
    private readonly onExpire: () => void,
  ) {}

  /** Arms it to run out `limitMs` from now (0: never; the deadline stays unarmed). */
  start(limitMs: number): this {
    this.limitMs = limitMs;
    if (limitMs <= 0) return this;
    this.sweep.arm(this);
    this.active = true;
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
    this.sweep.disarm(this);
  }

  /** @internal */
  expire(): void {
    if (!this.active) return;
    this.active = false;
    this.onExpire();
  }
}
