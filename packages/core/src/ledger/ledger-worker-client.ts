import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromLedgerWorker, LedgerAnswer, LedgerQuery, LedgerWorkerSettings, ToLedgerWorker } from './ledger-protocol';
import type { LedgerRow } from './ledger-row';
import { LedgerUnavailableError } from './ledger-unavailable-error';
import type { RowBatch } from './row-batch';

export interface LedgerWorkerEvents {
  ready(): void;
  openFailed(message: string): void;
  inserted(count: number, rows: LedgerRow[] | null): void;
  writeFailed(message: string, queued: number): void;
  warning(message: string): void;
  exited(): void;
}

/**
 * The writer thread's V8 heap. Its garbage is a batch at a time (a few hundred KB), yet V8's
 * default young generation (up to 32 MB) let it grow by tens of MB under load, all of it in
 * the proxy's RSS. A small young generation collects it as often as it is made; the old
 * generation bound is far above what the queues and query answers need.
 */
const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };

/** How long shutdown waits for the worker to write its last batch and close the file. */
const CLOSE_TIMEOUT_MS = 5000;
/**
 * How long shutdown waits for `terminate()`. A worker blocked in a system call (a `mkdir` or
 * `open` on a stalled network filesystem) cannot be interrupted, and its `terminate()`
 * never settles: past this bound it is reported as stuck instead of awaited.
 */
const TERMINATE_WAIT_MS = 1000;

/** How `close()` ended: the thread is gone, or it is blocked where it cannot be stopped. */
export type WorkerCloseOutcome = 'stopped' | 'stuck';

/**
 * The worker's source is `ledger-worker.js` next to this file when built; under ts-jest
 * (or any run from `src/`) it is TypeScript, loaded through jiti, the transpiler TokenPak
 * already uses for `.ts` plugins and configs.
 */
function workerScript(): { code: string; eval: true } | { code: string; eval: false } {
  const extension = path.extname(__filename);
  const file = path.join(__dirname, `ledger-worker${extension}`);
  if (extension !== '.ts') return { code: file, eval: false };
  const jiti = require.resolve('jiti');
  return { code: `require(${JSON.stringify(jiti)}).createJiti(${JSON.stringify(file)})(${JSON.stringify(file)});`, eval: true };
}

/** The proxy's side of the ledger worker: fire-and-forget inserts, awaited queries. */
export class LedgerWorkerClient {
  private readonly worker: Worker;
  private nextQueryId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly exited: Promise<void>;
  /** The worker said `ready` (the file is open); until then it cannot take a `close` message. */
  private opened = false;

  constructor(settings: LedgerWorkerSettings, events: LedgerWorkerEvents) {
    const script = workerScript();
    this.worker = new Worker(script.code, { eval: script.eval, workerData: settings, name: 'tokenpak-ledger', resourceLimits: WORKER_HEAP_LIMITS });
    // The worker must never keep a finished proxy (or a test run) alive on its own.
    this.worker.unref();
    this.worker.on('message', (message: FromLedgerWorker) => {
      switch (message.kind) {
        case 'ready':
          this.opened = true;
          return events.ready();
        case 'open-failed':
          return events.openFailed(message.message);
        case 'inserted':
          return events.inserted(message.count, message.rows);
        case 'write-failed':
          return events.writeFailed(message.message, message.queued);
        case 'warning':
          return events.warning(message.message);
        case 'answer':
          this.settle(message.id, (waiter) => waiter.resolve(message.result));
          return;
        case 'query-failed':
          this.settle(message.id, (waiter) => waiter.reject(new Error(message.message)));
          return;
      }
    });
    this.worker.on('error', (error) => events.warning(`the ledger worker failed: ${error.message}`));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        for (const waiter of this.waiting.values()) waiter.reject(new Error('the ledger worker stopped'));
        this.waiting.clear();
        events.exited();
        resolve();
      }),
    );
  }

  /** Hands the batches over (to be written in one transaction): their buffers are transferred (detached here), their string tables cloned. */
  insert(batches: RowBatch[], echo: boolean): void {
    this.post(
      { kind: 'insert', batches, echo },
      batches.map((batch) => batch.buffer),
    );
  }

  /**
   * Runs a query on the worker. Rejects with `LedgerUnavailableError` when no answer came
   * within `timeoutMs` (the late answer, if any, is ignored).
   */
  query<Q extends LedgerQuery>(query: Q, timeoutMs: number): Promise<LedgerAnswer<Q>> {
    const id = this.nextQueryId++;
    return new Promise<LedgerAnswer<Q>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new LedgerUnavailableError(`the request ledger did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => clearTimeout(timer);
      this.waiting.set(id, {
        resolve: (value) => {
          done();
          resolve(value as LedgerAnswer<Q>);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.post({ kind: 'query', id, query });
    });
  }

  /**
   * Writes what it has, closes the file, and stops (forcefully after a timeout). A worker
   * that never opened the file is terminated at once. Resolves with `stuck` when the
   * thread could not be stopped (then it is left unreferenced, see TERMINATE_WAIT_MS).
   */
  async close(): Promise<WorkerCloseOutcome> {
    if (this.opened) {
      // Keep the process alive until the last batch is on disk.
      this.worker.ref();
      this.post({ kind: 'close' });
      if ((await settlesWithin(this.exited, CLOSE_TIMEOUT_MS)) === 'settled') return 'stopped';
    }
    const terminated = this.worker.terminate().then(
      () => undefined,
      () => undefined,
    );
    if ((await settlesWithin(Promise.race([terminated, this.exited]), TERMINATE_WAIT_MS)) === 'settled') return 'stopped';
    this.worker.unref();
    return 'stuck';
  }

  private post(message: ToLedgerWorker, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }

  private settle(id: number, action: (waiter: { resolve(value: unknown): void; reject(error: Error): void }) => void): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    action(waiter);
  }
}

function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<'settled' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  return Promise.race([promise.then(() => 'settled' as const), timeout]).finally(() => clearTimeout(timer));
}
