import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../../config/load-config';
import { TOKENS } from '../../../di-tokens';

/** The queue is full: answer 429 with this `retry-after`. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the Claude companion queue is full');
  }
}

/** The waiter's client went away before its turn came. */
export class WaitAbortedError extends Error {
  constructor() {
    super('the request was abandoned while queued');
  }
}

/** A held run slot; `release` exactly once. */
export interface RunSlot {
  release(): void;
}

interface Waiter {
  key: string | null;
  start(): void;
}

/** Retry-after bounds: never "now", never above 60 s (Claude Code gives up at once on a longer retry-after). */
const MIN_RETRY_AFTER_S = 1;
const MAX_RETRY_AFTER_S = 60;
/** Assumed run time before any run has finished. */
const INITIAL_RUN_ESTIMATE_MS = 10_000;

/**
 * Who may run a CLI process now. Two rules: at most `companion.maxConcurrent` runs at
 * once, and never two runs for the same key (a platform session) — the second waits for
 * the first, so turns reach a CLI session in order. Waiters form one FIFO queue of at
 * most `companion.maxQueue`; a waiter held back only by its key does not block those
 * behind it. Beyond the queue limit, requests are refused (429) instead of piling up.
 */
@injectable()
export class RunScheduler {
  private readonly maxConcurrent: number;
  private readonly maxQueue: number;
  private runningCount = 0;
  private readonly busyKeys = new Set<string>();
  private readonly waiting: Waiter[] = [];
  /** Moving average of run durations, for `retry-after`. */
  private averageRunMs = INITIAL_RUN_ESTIMATE_MS;

  constructor(@inject(TOKENS.Config) resolved: ResolvedConfig) {
    this.maxConcurrent = resolved.config.companion.maxConcurrent;
    this.maxQueue = resolved.config.companion.maxQueue;
  }

  get running(): number {
    return this.runningCount;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a slot when the run may start. Rejects with `QueueFullError` at once
   * when it would have to wait and the queue is full, or `WaitAbortedError` when
   * `signal` fires while waiting.
   */
  acquire(key: string | null, signal: AbortSignal): Promise<RunSlot> {
    if (signal.aborted) return Promise.reject(new WaitAbortedError());
    if (this.canStart(key)) return Promise.resolve(this.begin(key));
    if (this.waiting.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.retryAfterSeconds()));
    return new Promise<RunSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiting.indexOf(waiter);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(new WaitAbortedError());
      };
      const waiter: Waiter = {
        key,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.begin(key));
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private canStart(key: string | null): boolean {
    return this.runningCount < this.maxConcurrent && (key === null || !this.busyKeys.has(key));
  }

  private begin(key: string | null): RunSlot {
    this.runningCount++;
    if (key !== null) this.busyKeys.add(key);
    const startedAt = Date.now();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.runningCount--;
        if (key !== null) this.busyKeys.delete(key);
        this.averageRunMs = 0.8 * this.averageRunMs + 0.2 * (Date.now() - startedAt);
        this.startWaiters();
      },
    };
  }

  /** Starts every waiter that may run now, oldest first. */
  private startWaiters(): void {
    for (let i = 0; i < this.waiting.length && this.runningCount < this.maxConcurrent;) {
      const waiter = this.waiting[i]!;
      if (this.canStart(waiter.key)) {
        this.waiting.splice(i, 1);
        waiter.start();
      } else {
        i++;
      }
    }
  }

  /** Rough time until a new request could start: the queue ahead, drained `maxConcurrent` at a time. */
  private retryAfterSeconds(): number {
    const rounds = Math.ceil((this.waiting.length + 1) / this.maxConcurrent);
    const seconds = Math.ceil((rounds * this.averageRunMs) / 1000);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, seconds));
  }
}
