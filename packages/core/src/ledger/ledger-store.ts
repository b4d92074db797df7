import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEntry, LedgerRow } from './ledger-row';
import { migrate } from './schema-version';

/** A finished request with its cost worked out: ready to be written. */
export type PricedEntry = LedgerEntry & { costUsd: number | null };

/**
 * One row's column values in INSERT order. Batches travel to the writer thread in this
 * form: arrays of primitives are much cheaper to pass between threads than objects.
 */
export type RowValues = [
  requestId: string,
  startedAt: number,
  method: string,
  path: string,
  platform: string | null,
  sessionId: string | null,
  provider: string | null,
  providerSource: string,
  routeClass: string,
  backend: string,
  via: string,
  credentialSource: string,
  upstream: string | null,
  reasonsJson: string,
  model: string | null,
  status: number | null,
  errorType: string | null,
  ttfbMs: number | null,
  totalMs: number,
  bytesIn: number | null,
  bytesOut: number | null,
  inputTokens: number | null,
  outputTokens: number | null,
  cacheReadTokens: number | null,
  cacheWriteTokens: number | null,
  costUsd: number | null,
];

/** `reasonsJson` is the entry's reasons as stored (redacted JSON); passed in so callers can reuse it across rows. */
export function rowValues(entry: LedgerEntry, reasonsJson: string, costUsd: number | null): RowValues {
  const { usage } = entry;
  return [
    entry.requestId,
    entry.startedAt,
    entry.method,
    entry.path,
    entry.platform,
    entry.sessionId,
    entry.provider,
    entry.providerSource,
    entry.routeClass,
    entry.backend,
    entry.via,
    entry.credentialSource,
    entry.upstream,
    reasonsJson,
    entry.model,
    entry.status,
    entry.errorType,
    entry.ttfbMs,
    entry.totalMs,
    entry.bytesIn,
    entry.bytesOut,
    usage ? usage.inputTokens : null,
    usage ? usage.outputTokens : null,
    usage ? usage.cacheReadTokens : null,
    usage ? usage.cacheWriteTokens : null,
    costUsd,
  ];
}

/** The stored row for values written under `id`. */
export function rowFromValues(id: number, v: RowValues): LedgerRow {
  let reasons: string[] = [];
  try {
    reasons = JSON.parse(v[13]) as string[];
  } catch {
    // stored as written; a damaged value reads as no reasons
  }
  return {
    id,
    requestId: v[0],
    startedAt: v[1],
    method: v[2],
    path: v[3],
    platform: v[4],
    sessionId: v[5],
    provider: v[6],
    providerSource: v[7],
    routeClass: v[8],
    backend: v[9],
    via: v[10],
    credentialSource: v[11],
    upstream: v[12],
    reasons,
    model: v[14],
    status: v[15],
    errorType: v[16],
    ttfbMs: v[17],
    totalMs: v[18],
    bytesIn: v[19],
    bytesOut: v[20],
    inputTokens: v[21],
    outputTokens: v[22],
    cacheReadTokens: v[23],
    cacheWriteTokens: v[24],
    costUsd: v[25],
  };
}

const INSERT = `INSERT INTO requests (
  request_id, started_at, method, path, platform, session_id, provider, provider_source, route_class, backend, via,
  credential_source, upstream, reasons, model, status, error_type, ttfb_ms, total_ms, bytes_in, bytes_out,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The ledger file, opened for writing: WAL journal (readers — the CLI, the dashboard's
 * queries — never block the writer), `synchronous=NORMAL` (a killed process loses no
 * committed batch and never corrupts the file; only a power cut can lose the last few
 * commits), and the schema migrated on open. The file is readable by its owner only.
 */
export class LedgerStore {
  private readonly insertRow: Database.Statement<RowValues>;
  private readonly insertBatch: (rows: readonly RowValues[]) => number;

  private constructor(readonly db: Database.Database) {
    this.insertRow = db.prepare<RowValues>(INSERT);
    // One statement per row: measured faster here than multi-row INSERTs, whose array binding costs more than it saves.
    this.insertBatch = db.transaction((rows: readonly RowValues[]) => {
      let firstId = 0;
      for (const values of rows) {
        const { lastInsertRowid } = this.insertRow.run(...values);
        if (firstId === 0) firstId = Number(lastInsertRowid);
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
      // Never wait long on a lock: the writer runs on the proxy's event loop.
      db.pragma('busy_timeout = 50');
      migrate(db);
      return new LedgerStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Writes the rows in one transaction; returns the id of the first (the others follow
   * it: one writer, one transaction, so SQLite hands out consecutive rowids).
   */
  insertValues(rows: readonly RowValues[]): number {
    return rows.length === 0 ? 0 : this.insertBatch(rows);
  }

  /** Writes entries and returns them as stored rows (tests and tools; the proxy sends values). */
  insert(entries: readonly PricedEntry[]): LedgerRow[] {
    const values = entries.map((entry) => rowValues(entry, JSON.stringify(entry.reasons), entry.costUsd));
    const firstId = this.insertValues(values);
    return values.map((row, index) => rowFromValues(firstId + index, row));
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
