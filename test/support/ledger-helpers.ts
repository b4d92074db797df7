import type { LedgerRowJson, StatsReport } from '@tokenpak/core';

/** GET /tokenpak/requests with the given query; newest first. */
export async function ledgerRows(baseUrl: string, query = ''): Promise<LedgerRowJson[]> {
  const response = await fetch(`${baseUrl}/tokenpak/requests?limit=1000${query ? `&${query}` : ''}`);
  if (!response.ok) throw new Error(`GET /tokenpak/requests: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { requests: LedgerRowJson[] }).requests;
}

/** Polls the ledger until a row for each request id is there (rows are written in batches); returns them by request id. */
export async function waitForLedgerRows(baseUrl: string, requestIds: readonly string[], timeoutMs = 5000): Promise<Map<string, LedgerRowJson>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const byId = new Map((await ledgerRows(baseUrl)).map((row) => [row.requestId, row]));
    if (requestIds.every((id) => byId.has(id))) return byId;
    if (Date.now() > deadline) throw new Error(`ledger rows missing for ${requestIds.filter((id) => !byId.has(id)).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function ledgerStats(baseUrl: string, query: string): Promise<Omit<StatsReport, 'since'> & { since: string | null }> {
  const response = await fetch(`${baseUrl}/tokenpak/stats?${query}`);
  if (!response.ok) throw new Error(`GET /tokenpak/stats: ${response.status} ${await response.text()}`);
  return (await response.json()) as Omit<StatsReport, 'since'> & { since: string | null };
}
