/**
 * The ledger exists but cannot answer now: its worker has not opened the file within the
 * start bound (a slow or stalled `state.dir`), or a query took longer than the query bound.
 * The HTTP endpoints answer it with 503 (ARCHITECTURE §7); proxying is unaffected.
 */
export class LedgerUnavailableError extends Error {
  override readonly name = 'LedgerUnavailableError';
}
