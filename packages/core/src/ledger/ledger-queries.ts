import type Database from 'better-sqlite3';
import type { LedgerRow } from './ledger-row';

/** Which rows a listing or a summary covers. */
export interface RowFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Only failed requests (those with an error type). */
  failed?: boolean;
  platform?: string;
  provider?: string;
  model?: string;
  sessionId?: string;
}

export const GROUP_KEYS = ['platform', 'provider', 'model', 'session', 'day', 'hour', 'minute'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

/** Totals of a set of requests. Token sums cover the requests whose usage is known; cost those with a known price. */
export interface StatsTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  /** Requests whose cost is unknown (no usage in the answer, or no price for the model). */
  unpricedRequests: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface StatsGroup extends StatsTotals {
  key: string;
}

export interface StatsReport {
  since: number | null;
  by: GroupKey | null;
  groups: StatsGroup[];
  total: StatsTotals;
}

const ROW_COLUMNS = `id, request_id AS requestId, started_at AS startedAt, method, path, platform, session_id AS sessionId, provider,
  provider_source AS providerSource, route_class AS routeClass, backend, via, credential_source AS credentialSource, upstream,
  reasons, model, status, error_type AS errorType, ttfb_ms AS ttfbMs, total_ms AS totalMs, bytes_in AS bytesIn, bytes_out AS bytesOut,
  input_tokens AS inputTokens, output_tokens AS outputTokens, cache_read_tokens AS cacheReadTokens,
  cache_write_tokens AS cacheWriteTokens, cost_usd AS costUsd`;

/** SQL for a group key; local time for days and hours (the user's calendar, not UTC's). */
const GROUP_EXPRESSIONS: Readonly<Record<GroupKey, string>> = {
  platform: "COALESCE(platform, 'none')",
  provider: "COALESCE(provider, 'none')",
  model: "COALESCE(model, 'unknown')",
  session: "COALESCE(session_id, 'none')",
  day: "strftime('%Y-%m-%d', started_at / 1000, 'unixepoch', 'localtime')",
  hour: "strftime('%Y-%m-%d %H:00', started_at / 1000, 'unixepoch', 'localtime')",
  minute: "strftime('%Y-%m-%d %H:%M', started_at / 1000, 'unixepoch', 'localtime')",
};

type RawRow = Omit<LedgerRow, 'reasons'> & { reasons: string };

function toRow(raw: RawRow): LedgerRow {
  let reasons: string[] = [];
  try {
    const parsed: unknown = JSON.parse(raw.reasons);
    if (Array.isArray(parsed)) reasons = parsed.filter((item): item is string => typeof item === 'string');
  } catch {
    // a damaged reasons column is shown as none
  }
  return { ...raw, reasons };
}

function whereClause(filter: RowFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.since !== undefined) {
    conditions.push('started_at >= ?');
    params.push(filter.since);
  }
  if (filter.failed) conditions.push('error_type IS NOT NULL');
  const equal = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    if (value === 'none') conditions.push(`${column} IS NULL`);
    else {
      conditions.push(`${column} = ?`);
      params.push(value);
    }
  };
  equal('platform', filter.platform);
  equal('provider', filter.provider);
  equal('model', filter.model);
  equal('session_id', filter.sessionId);
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** The newest rows first (before `beforeId` when paging back). */
export function listRequests(db: Database.Database, filter: RowFilter & { limit: number; beforeId?: number }): LedgerRow[] {
  const where = whereClause(filter);
  let sql = where.sql;
  if (filter.beforeId !== undefined) {
    sql = `${sql ? `${sql} AND` : 'WHERE'} id < ?`;
    where.params.push(filter.beforeId);
  }
  const raws = db.prepare(`SELECT ${ROW_COLUMNS} FROM requests ${sql} ORDER BY id DESC LIMIT ?`).all(...where.params, filter.limit) as RawRow[];
  return raws.map(toRow);
}

/** Rows written after `afterId`, oldest first (`--follow`, SSE catch-up). */
export function rowsAfter(db: Database.Database, afterId: number, limit: number, filter: RowFilter = {}): LedgerRow[] {
  const where = whereClause(filter);
  const sql = `${where.sql ? `${where.sql} AND` : 'WHERE'} id > ?`;
  const raws = db.prepare(`SELECT ${ROW_COLUMNS} FROM requests ${sql} ORDER BY id ASC LIMIT ?`).all(...where.params, afterId, limit) as RawRow[];
  return raws.map(toRow);
}

export function latestId(db: Database.Database): number {
  return (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM requests').get() as { id: number }).id;
}

const TOTALS = `COUNT(*) AS requests,
  COALESCE(SUM(error_type IS NOT NULL), 0) AS errors,
  COALESCE(SUM(input_tokens), 0) AS inputTokens,
  COALESCE(SUM(output_tokens), 0) AS outputTokens,
  COALESCE(SUM(cache_read_tokens), 0) AS cacheReadTokens,
  COALESCE(SUM(cache_write_tokens), 0) AS cacheWriteTokens,
  COALESCE(SUM(cost_usd), 0) AS costUsd,
  COALESCE(SUM(cost_usd IS NULL), 0) AS unpricedRequests`;

/**
 * Every selected row's total time, as one JSON array per group, read in the same pass as the
 * sums. SQLite (3.53, bundled by better-sqlite3) writes each REAL with as many digits as give
 * the stored double back (`0.30000000000000004`), so the percentiles are the stored values.
 */
const TIMES = 'json_group_array(total_ms) AS times';

type TotalsRow = Omit<StatsTotals, 'p50Ms' | 'p95Ms'>;

/** Nearest-rank percentile of ascending `sorted` (non-empty): the ⌈n·p/100⌉-th value. */
function nearestRank(sorted: Float64Array, percent: number): number {
  return sorted[Math.floor((sorted.length * percent + 99) / 100) - 1]!;
}

/** Nearest-rank p50 / p95 of `times` (ms), which it sorts in place; null for none. */
function timePercentiles(times: Float64Array): Pick<StatsTotals, 'p50Ms' | 'p95Ms'> {
  if (times.length === 0) return { p50Ms: null, p95Ms: null };
  const sorted = times.sort();
  return { p50Ms: nearestRank(sorted, 50), p95Ms: nearestRank(sorted, 95) };
}

function parseTimes(json: string): Float64Array {
  return Float64Array.from(JSON.parse(json) as number[]);
}

/**
 * Totals, optionally grouped, for the rows the filter selects. One pass per table scan: the
 * sums and every row's time come out of the same (grouped) query, and the percentiles are
 * sorted here. SQLite's window functions (a `ROW_NUMBER()` sort per group, and another pass
 * for the overall figures) took 3–4× as long: on a 30-day ledger of 150,000 rows, 0.9–1.5 s
 * per summary, so the dashboard's four outlasted the 2 s query bound (`npm run bench:ledger-queries`).
 */
export function summarize(db: Database.Database, filter: RowFilter, by: GroupKey | null): StatsReport {
  const where = whereClause(filter);
  if (!by) {
    const { times, ...totals } = db.prepare(`SELECT ${TOTALS}, ${TIMES} FROM requests ${where.sql}`).get(...where.params) as TotalsRow & { times: string };
    return { since: filter.since ?? null, by, groups: [], total: { ...totals, ...timePercentiles(parseTimes(times)) } };
  }
  // The overall sums from their own query, not added up from the groups: SQLite's SUM of REAL rounds once.
  const totals = db.prepare(`SELECT ${TOTALS} FROM requests ${where.sql}`).get(...where.params) as TotalsRow;
  const ordering = by === 'day' || by === 'hour' || by === 'minute' ? 'key ASC' : 'requests DESC, key ASC';
  const rows = db
    .prepare(`SELECT ${GROUP_EXPRESSIONS[by]} AS key, ${TOTALS}, ${TIMES} FROM requests ${where.sql} GROUP BY key ORDER BY ${ordering}`)
    .all(...where.params) as Array<TotalsRow & { key: unknown; times: string }>;
  const groupTimes = rows.map((row) => parseTimes(row.times));
  const allTimes = new Float64Array(groupTimes.reduce((count, times) => count + times.length, 0));
  let offset = 0;
  for (const times of groupTimes) {
    allTimes.set(times, offset);
    offset += times.length;
  }
  const groups = rows.map(({ times: _times, key, ...row }, index) => ({ key: String(key), ...row, ...timePercentiles(groupTimes[index]!) }));
  return { since: filter.since ?? null, by, groups, total: { ...totals, ...timePercentiles(allTimes) } };
}
