import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEntry, LedgerRow } from './ledger-row';
import { RowBatchEncoder } from './row-batch-encoder';
import { RowBatchReader } from './row-batch-reader';
import { emptyRowValues, type RowValues } from './row-values';
import { migrate } from './schema-version';

/** A finished request with its cost worked out: ready to be written. */
export type PricedEntry = LedgerEntry & { costUsd: number | null };

const INSERT = `INSERT INTO requests (
  request_id, started_at, method, path, platform, session_id, provider, provider_source, route_class, backend, via,
  credential_source, upstream, reasons, model, status, error_type, ttfb_ms, total_ms, bytes_in, bytes_out,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The writer's SQLite page cache, in KiB. better-sqlite3 builds SQLite with a 16 MB default
 * (`SQLITE_DEFAULT_CACHE_SIZE=-16000`), which the writer filled as the file grew: RSS rose
 * with the ledger's size, not with the load (2 KB bodies at c=32: 129 → 131 MiB and
 * climbing, the writer thread's malloc heap 20–25 MB). Appending touches only the right edge of
 * the table and its index; 1 MiB held the same run flat at 114–116 MiB, and the stats and
 * list queries over 300,000 rows took as long as with 16 MB (the OS page cache serves them).
 */
const WRITER_PAGE_CACHE_KIB = 1024;

/**
 * The ledger file, opened for writing: WAL journal (readers — the CLI, the dashboard's
 * queries — never block the writer), `synchronous=NORMAL` (a killed process loses no
 * committed batch and never corrupts the file; only a power cut can lose the last few
 * commits), and the schema migrated on open. The file is readable by its owner only.
 */
export class LedgerStore {
  private readonly insertRow: Database.Statement<RowValues>;
  private readonly insertBatches: (batches: readonly RowBatchReader[]) => number;

  private constructor(readonly db: Database.Database) {
    this.insertRow = db.prepare<RowValues>(INSERT);
    // One statement per row, bound positionally from one tuple reused for every row. Measured
    // (bench/ledger-batch.ts): named parameters cost twice as much (an object per row), and a
    // 64-row multi-row INSERT no less, its array binding costing what it saves.
    const values = emptyRowValues();
    this.insertBatches = db.transaction((batches: readonly RowBatchReader[]) => {
      let firstId = 0;
      for (const batch of batches) {
        for (let row = 0; row < batch.rows; row++) {
          const { lastInsertRowid } = this.insertRow.run(...batch.valuesInto(row, values));
          if (firstId === 0) firstId = Number(lastInsertRowid);
        }
      }
      return firstId;
    });
  }

  static openForWriting(file: string): LedgerStore {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const isNew = !existsSync(file);
    const db = new Database(file);
    try {
      if (isNew) chmodSync(file, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Never wait long on a lock: a reader's lock must not hold up the rows queued behind it.
      db.pragma('busy_timeout = 50');
      db.pragma(`cache_size = -${WRITER_PAGE_CACHE_KIB}`);
      migrate(db);
      return new LedgerStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Writes the batches' rows, in order, in one transaction; returns the id of the first
   * (0 when there are none). The others follow it: one writer, one transaction, so SQLite
   * hands out consecutive rowids.
   */
  insertRows(batches: readonly RowBatchReader[]): number {
    return batches.some((batch) => batch.rows > 0) ? this.insertBatches(batches) : 0;
  }

  /** Writes entries and returns them as stored rows (tests and tools; the proxy sends batches). */
  insert(entries: readonly PricedEntry[]): LedgerRow[] {
    const encoder = new RowBatchEncoder(Math.max(entries.length, 1));
    for (const entry of entries) encoder.append(entry, JSON.stringify(entry.reasons), entry.costUsd);
    const batch = encoder.take();
    if (!batch) return [];
    const reader = new RowBatchReader(batch);
    const firstId = this.insertRows([reader]);
    return Array.from({ length: reader.rows }, (_, row) => reader.rowAt(row, firstId + row));
  }

  /** Deletes up to `limit` rows older than `cutoffMs`; returns how many went. */
  deleteOlderThan(cutoffMs: number, limit: number): number {
    // Ordered by started_at so the index finds the old rows; ordering by id made SQLite walk the whole table.
    return this.db.prepare('DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE started_at < ? ORDER BY started_at LIMIT ?)').run(cutoffMs, limit)
      .changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The ledger file for reading (the CLI, while a proxy may be writing). Null when there is no ledger yet. */
export function openLedgerForReading(file: string): Database.Database | null {
  if (!existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 2000');
  return db;
}

export const LEDGER_FILE_NAME = 'ledger.db';

export function ledgerFileIn(stateDir: string): string {
  return path.join(stateDir, LEDGER_FILE_NAME);
}
