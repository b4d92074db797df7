import type Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';

export class LedgerSchemaError extends Error {
  override readonly name = 'LedgerSchemaError';
}

const CREATE_VERSION_TABLE = 'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)';

/** The highest migration applied to this database (0 for a new one). */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Brings the database up to the latest schema. A database written by a newer TokenPak
 * (a version this one does not know) is left alone: writing to it could break it.
 */
export function migrate(db: Database.Database): void {
  db.exec(CREATE_VERSION_TABLE);
  const current = schemaVersion(db);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new LedgerSchemaError(
      `the ledger has schema version ${current}, newer than this TokenPak knows (${LATEST_SCHEMA_VERSION}); upgrade TokenPak or move the file away`,
    );
  }
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, new Date().toISOString());
    }).immediate();
  }
}
