import type { TokenUsage } from '../usage/token-usage';

/**
 * One proxied request as the ledger keeps it. Nothing secret is in here: no header
 * values, no bodies, no query strings (they can carry keys); the upstream is an origin.
 * Token counts and cost are null when unknown (an answer without usage, a model without
 * a price): unknown is never shown as zero.
 */
export interface LedgerRow {
  /** Ledger sequence number (SQLite rowid): increases with every row, usable as a cursor. */
  id: number;
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  startedAt: number;
  method: string;
  /** Path without the query string. */
  path: string;
  platform: string | null;
  sessionId: string | null;
  provider: string | null;
  providerSource: string;
  routeClass: string;
  backend: string;
  via: string;
  credentialSource: string;
  /** Upstream origin (scheme://host:port), null when nothing was forwarded. */
  upstream: string | null;
  reasons: string[];
  model: string | null;
  /** HTTP status sent to the client; null when the client went away before any. */
  status: number | null;
  /** Set for every failure: the API's error type, a TokenPak error type, or `client_closed`. */
  errorType: string | null;
  ttfbMs: number | null;
  totalMs: number;
  bytesIn: number | null;
  bytesOut: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  costUsd: number | null;
}

/** What a finished request hands to the recorder: the row before its id and cost exist. */
export type LedgerEntry = Omit<LedgerRow, 'id' | 'costUsd' | 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'reasons'> & {
  reasons: readonly string[];
  usage: TokenUsage | null;
};

/** A row as the HTTP API and `--json` print it (time as ISO 8601). */
export type LedgerRowJson = Omit<LedgerRow, 'startedAt'> & { startedAt: string };

export function rowToJson(row: LedgerRow): LedgerRowJson {
  return { ...row, startedAt: new Date(row.startedAt).toISOString() };
}
