/**
 * The ledger's writer thread: owns the SQLite file, so no insert, retention delete or
 * stats query ever runs on the proxy's event loop. It receives batches of finished
 * requests, writes each in one transaction (keeping and retrying what it could not
 * write), and answers queries for the HTTP endpoints.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { listRequests, rowsAfter, summarize } from './ledger-queries';
import type { FromLedgerWorker, LedgerQuery, LedgerWorkerSettings, ToLedgerWorker } from './ledger-protocol';
import type { LedgerRow } from './ledger-row';
import { LedgerStore } from './ledger-store';
import { RowBatchQueue } from './row-batch-queue';
import { RowBatchReader } from './row-batch-reader';

/** Entries kept while the file cannot be written (locked, disk full); the oldest go first past this. */
const MAX_QUEUED = 20_000;
const DAY_MS = 86_400_000;
const RETENTION_EVERY_MS = 3_600_000;
const RETENTION_SLICE = 5_000;

const port = parentPort;
const settings = workerData as LedgerWorkerSettings;

function send(message: FromLedgerWorker): void {
  port?.postMessage(message);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The rows just written, as stored: the first got `firstId`, the others follow in order. */
function storedRows(batches: readonly RowBatchReader[], firstId: number): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (const batch of batches) for (let row = 0; row < batch.rows; row++) rows.push(batch.rowAt(row, firstId + rows.length));
  return rows;
}

function run(): void {
  if (!port) return;
  let store: LedgerStore;
  try {
    store = LedgerStore.openForWriting(settings.file);
  } catch (error) {
    send({ kind: 'open-failed', message: message(error) });
    return;
  }
  send({ kind: 'ready' });

  const queued = new RowBatchQueue();
  let echoQueued = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let failures = 0;

  const write = (): void => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    if (queued.rows === 0) return;
    const echo = echoQueued;
    try {
      const batches = queued.batches.map((batch) => new RowBatchReader(batch));
      const firstId = store.insertRows(batches);
      const count = queued.clear();
      echoQueued = false;
      failures = 0;
      // Full rows go back only while someone watches the live feed.
      send({ kind: 'inserted', count, rows: echo ? storedRows(batches, firstId) : null });
    } catch (error) {
      failures++;
      queued.trimTo(MAX_QUEUED);
      send({ kind: 'write-failed', message: message(error), queued: queued.rows });
      retryTimer = setTimeout(write, Math.min(30_000, 100 * 2 ** Math.min(failures, 8)));
    }
  };

  const answer = (query: LedgerQuery): unknown => {
    switch (query.name) {
      case 'list':
        return listRequests(store.db, query.filter);
      case 'after':
        return rowsAfter(store.db, query.afterId, query.limit);
      case 'summarize':
        return summarize(store.db, query.filter, query.by);
    }
  };

  const retention = (): void => {
    if (settings.retentionDays === 0) return;
    const cutoff = Date.now() - settings.retentionDays * DAY_MS;
    try {
      // Slice by slice, so queries and inserts get their turn between them.
      if (store.deleteOlderThan(cutoff, RETENTION_SLICE) === RETENTION_SLICE) setImmediate(retention);
    } catch (error) {
      send({ kind: 'warning', message: `ledger retention failed: ${message(error)}` });
    }
  };
  retention();
  const retentionTimer = setInterval(retention, RETENTION_EVERY_MS);

  port.on('message', (incoming: ToLedgerWorker) => {
    switch (incoming.kind) {
      case 'insert':
        for (const batch of incoming.batches) queued.push(batch);
        echoQueued ||= incoming.echo;
        write();
        return;
      case 'query':
        try {
          send({ kind: 'answer', id: incoming.id, result: answer(incoming.query) });
        } catch (error) {
          send({ kind: 'query-failed', id: incoming.id, message: message(error) });
        }
        return;
      case 'close':
        clearInterval(retentionTimer);
        write();
        store.close();
        port.close();
        return;
    }
  });
}

run();
