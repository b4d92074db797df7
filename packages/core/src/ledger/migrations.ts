/**
 * The ledger's schema, as forward-only migrations. A database records every version
 * applied in `schema_version`; opening it applies the ones it lacks, each in its own
 * transaction. Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'requests table',
    sql: `
      CREATE TABLE requests (
        id                 INTEGER PRIMARY KEY,
        request_id         TEXT    NOT NULL,
        started_at         INTEGER NOT NULL,
        method             TEXT    NOT NULL,
        path               TEXT    NOT NULL,
        platform           TEXT,
        session_id         TEXT,
        provider           TEXT,
        provider_source    TEXT    NOT NULL,
        route_class        TEXT    NOT NULL,
        backend            TEXT    NOT NULL,
        via                TEXT    NOT NULL,
        credential_source  TEXT    NOT NULL,
        upstream           TEXT,
        reasons            TEXT    NOT NULL,
        model              TEXT,
        status             INTEGER,
        error_type         TEXT,
        ttfb_ms            REAL,
        total_ms           REAL    NOT NULL,
        bytes_in           INTEGER,
        bytes_out          INTEGER,
        input_tokens       INTEGER,
        output_tokens      INTEGER,
        cache_read_tokens  INTEGER,
        cache_write_tokens INTEGER,
        cost_usd           REAL
      );
      CREATE INDEX requests_started_at ON requests (started_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
