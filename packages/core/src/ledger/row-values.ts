/**
 * One row's column values in the order of the `requests` INSERT (`ledger-store.ts`). The
 * writer thread binds a row from this tuple; a batch reader fills one tuple per batch and
 * reuses it for every row, so writing allocates no per-row array.
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

/** A tuple to fill with `RowBatchReader.valuesInto` (its contents are overwritten per row). */
export function emptyRowValues(): RowValues {
  return ['', 0, '', '', null, null, null, '', '', '', '', '', null, '', null, null, null, null, 0, null, null, null, null, null, null, null];
}
