import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../config/load-config';
import type { Logger } from '../log/logger';
import type { PriceBook } from '../pricing/price-book';
import { TOKENS } from '../di-tokens';
import type { LedgerFeed } from './ledger-feed';
import type { LedgerAnswer, LedgerQuery } from './ledger-protocol';
import type { LedgerEntry } from './ledger-row';
import { ledgerFileIn } from './ledger-store';
import { LedgerUnavailableError } from './ledger-unavailable-error';
import { LedgerWorkerClient } from './ledger-worker-client';
import { RequestMeter } from './request-meter';
import { RowBatchEncoder } from './row-batch-encoder';
import { RowBatchQueue } from './row-batch-queue';
import { StoredReasons } from './stored-reasons';

export { LedgerUnavailableError } from './ledger-unavailable-error';

/**
 * A batch this large is sent at once instead of waiting for the timer. Kept small on
 * purpose: under load, what waits long survives V8's young-generation collections and is
 * promoted (a 500-row queue of row arrays grew the old generation, peak RSS +20 MB at
 * c=32); rows are now encoded into an off-heap buffer, but their request-id strings still
 * wait on the heap, and a 64-row batch is still one cheap transaction on the worker.
 */
const MAX_BATCH = 64;
/** Entries kept while the worker is starting; beyond this the oldest are dropped. */
const MAX_WAITING = 20_000;
/**
 * Bound on the worker's start and on each query (ARCHITECTURE §7). Past it the ledger is
 * reported unavailable instead of being waited for: a `state.dir` on a stalled filesystem
 * must not hang the endpoints or shutdown.
 */
export const LEDGER_BOUND_MS = 2000;

/** The ledger's state as `/tokenpak/status` reports it. */
export interface LedgerStatus {
  /** `unavailable`: the worker has not opened the file within the start bound (it may still). */
  state: 'closed' | 'starting' | 'open' | 'unavailable' | 'off';
  file: string;
  /** Rows held in memory, waiting for the worker (at most 20000). */
  queued: number;
  /** Rows that will never be written (queue overflow while unavailable, or still queued at shutdown). */
  dropped: number;
  /** Why the ledger is off or unavailable, or the last query that timed out. */
  lastError: string | null;
}

export class LedgerOffError extends Error {
  override readonly name = 'LedgerOffError';
}

/**
 * The request ledger (one row per proxied request). On the proxy's event loop it only
 * queues: `record` appends, and every `ledger.flushIntervalMs` the queue is priced and
 * handed to the ledger's worker thread, which owns the SQLite file and does all writing,
 * retention and querying. A crash loses at most the batch not yet written. If the file
 * cannot be opened the ledger turns itself off with one error line; the proxy keeps serving.
 */
@injectable()
export class LedgerRecorder {
  readonly file: string;
  private readonly logger: Logger;
  private worker: LedgerWorkerClient | null = null;
  private state: LedgerStatus['state'] = 'closed';
  /** The batch being filled (at most MAX_BATCH rows). */
  private readonly batch = new RowBatchEncoder(MAX_BATCH);
  /** Full batches kept, encoded, while the worker is not ready (at most MAX_WAITING rows with `batch`). */
  private readonly waiting = new RowBatchQueue();
  private flushTimer: NodeJS.Timeout | null = null;
  private writeFailures = 0;
  private dropped = 0;
  private lastError: string | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private workerStuck = false;
  private readonly readyWaiters: Array<() => void> = [];
  /** Each distinct reason list redacted and serialised once. */
  private readonly storedReasons = new StoredReasons();

  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.Logger) logger: Logger,
    @inject(TOKENS.LedgerFeed) private readonly feed: LedgerFeed,
    @inject(TOKENS.PriceBook) private readonly prices: PriceBook,
  ) {
    this.logger = logger.child('ledger');
    this.file = ledgerFileIn(resolved.config.state.dir);
    if (!resolved.config.ledger.enabled) this.state = 'off';
  }

  /** False when `ledger.enabled` is false or the file could not be opened. */
  get enabled(): boolean {
    return this.state !== 'off';
  }

  /** True after `close()` when the worker thread could not be stopped (blocked in the filesystem). */
  get stuck(): boolean {
    return this.workerStuck;
  }

  snapshot(): LedgerStatus {
    return { state: this.state, file: this.file, queued: this.queuedRows(), dropped: this.dropped, lastError: this.lastError };
  }

  /** Starts the writer thread (which opens and migrates the file). Idempotent; the proxy calls it when it starts listening. */
  open(): void {
    if (this.state !== 'closed') return;
    this.state = 'starting';
    const { ledger } = this.resolved.config;
    this.worker = new LedgerWorkerClient(
      { file: this.file, retentionDays: ledger.retentionDays },
      {
        ready: () => {
          if (this.state === 'unavailable') this.logger.info(`the request ledger is available again (${this.file})`);
          this.clearStartTimer();
          this.state = 'open';
          this.lastError = null;
          this.readyWaiters.splice(0).forEach((wake) => wake());
          this.flush();
        },
        openFailed: (message) => this.turnOff(`cannot open ${this.file}: ${message}`),
        inserted: (_count, rows) => {
          this.writeFailures = 0;
          if (rows && rows.length > 0) this.feed.publish(rows);
        },
        writeFailed: (message, queued) => {
          this.writeFailures++;
          if (this.writeFailures === 1 || this.writeFailures % 100 === 0)
            this.logger.warn(`could not write the ledger (${queued} row(s) waiting, will retry): ${message}`);
        },
        warning: (message) => this.logger.warn(message),
        exited: () => {
          if (this.state === 'open' || this.state === 'starting' || this.state === 'unavailable') this.turnOff('the ledger worker stopped');
        },
      },
    );
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      if (this.state !== 'starting') return;
      this.state = 'unavailable';
      this.lastError = `the ledger worker has not opened ${this.file} within ${LEDGER_BOUND_MS} ms`;
      this.readyWaiters.splice(0).forEach((wake) => wake());
      this.logger.warn(
        `the request ledger is unavailable: ${this.lastError} (is state.dir on a slow or stalled filesystem?). Requests are still proxied; their rows wait in memory (up to ${MAX_WAITING}) until it opens.`,
      );
    }, LEDGER_BOUND_MS).unref();
  }

  /** A meter for a new request, or null when the ledger is off (then nothing is measured at all). */
  startMeter(): RequestMeter | null {
    return this.state === 'off' ? null : new RequestMeter();
  }

  /**
   * Queues one finished request, priced now (a map lookup), written straight into the
   * current batch buffer: all that stays on the heap until the flush is the strings this
   * batch has not seen yet (the request id, at least).
   */
  record(entry: LedgerEntry): void {
    if (this.state === 'off') return;
    this.batch.append(entry, this.storedReasons.of(entry.reasons), this.prices.costOf(entry.model, entry.usage));
    // Everything queued counts: while the worker is not ready, each row past the first batch re-checks the waiting bound.
    if (this.queuedRows() >= MAX_BATCH) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.resolved.config.ledger.flushIntervalMs).unref();
  }

  /** Hands everything queued to the writer thread, to be written in one transaction. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.queuedRows() === 0) return;
    if (this.state !== 'open' || !this.worker) {
      // Kept encoded until the worker is ready; a full batch joins the waiting ones so the next row starts a new one.
      const full = this.batch.rows >= MAX_BATCH ? this.batch.take() : null;
      if (full) this.waiting.push(full);
      this.dropped += this.waiting.trimTo(MAX_WAITING - this.batch.rows);
      return;
    }
    const batches = this.waiting.take();
    const current = this.batch.take();
    if (current) batches.push(current);
    this.worker.insert(batches, this.feed.subscribers > 0);
  }

  /**
   * Runs a query on the writer thread (never on the event loop). Rejects with LedgerOffError
   * when the ledger is off, and with LedgerUnavailableError when the worker has not opened
   * the file within the start bound or the query takes longer than LEDGER_BOUND_MS.
   */
  async query<Q extends LedgerQuery>(query: Q): Promise<LedgerAnswer<Q>> {
    this.open();
    if (this.state === 'starting') await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    if (this.state === 'unavailable') throw new LedgerUnavailableError(`the request ledger is unavailable: ${this.lastError ?? 'its worker is not ready'}`);
    if (this.state !== 'open' || !this.worker) throw new LedgerOffError('the request ledger is off');
    try {
      return await this.worker.query(query, LEDGER_BOUND_MS);
    } catch (error) {
      if (error instanceof LedgerUnavailableError) this.lastError = error.message;
      throw error;
    }
  }

  /** Throws LedgerUnavailableError / LedgerOffError when a query would; for endpoints that only subscribe. */
  assertAvailable(): void {
    if (this.state === 'off') throw new LedgerOffError('the request ledger is off');
    if (this.state === 'unavailable') throw new LedgerUnavailableError(`the request ledger is unavailable: ${this.lastError ?? 'its worker is not ready'}`);
  }

  /**
   * Shutdown: sends what is queued, lets the worker write it, and closes the file. Bounded:
   * a worker still starting gets what is left of the start bound, then is terminated and
   * its queued rows are counted as dropped (and logged).
   */
  async close(): Promise<void> {
    if (!this.worker) return;
    if (this.state === 'starting') await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    this.clearStartTimer();
    this.flush();
    const worker = this.worker;
    this.worker = null;
    const unsent = this.discardQueued();
    if (unsent > 0) {
      this.dropped += unsent;
      this.logger.warn(`${unsent} ledger row(s) not written: the request ledger was unavailable`);
    }
    if (this.state === 'open' || this.state === 'unavailable') this.state = 'closed';
    if ((await worker.close()) === 'stuck') {
      this.workerStuck = true;
      this.logger.warn(`the ledger worker is blocked in the filesystem (${this.file}) and cannot be stopped`);
    }
  }

  /** Rows recorded and not yet handed to the worker. */
  private queuedRows(): number {
    return this.waiting.rows + this.batch.rows;
  }

  /** Forgets the rows not yet handed to the worker; returns how many there were. */
  private discardQueued(): number {
    const rows = this.queuedRows();
    this.waiting.clear();
    this.batch.discard();
    return rows;
  }

  private clearStartTimer(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
  }

  private turnOff(reason: string): void {
    this.clearStartTimer();
    this.state = 'off';
    this.lastError = reason;
    this.discardQueued();
    this.readyWaiters.splice(0).forEach((wake) => wake());
    this.logger.error(`the request ledger is off: ${reason}`);
  }
}
