/**
 * Did the ledger keep up? After the load, the ledger-on process must have written one row
 * per request it handled, none dropped. The bench counts what it sent and what was answered
 * (autocannon's totals, warm-ups and preflight included), waits for the last batch to reach
 * the writer thread, then asks TokenPak for its row count and its own request count.
 */

export interface LedgerRowAccounting {
  /** Requests the bench sent to the ledger-on process (preflight, warm-ups and measured runs). */
  sent: number;
  /** Of those, the ones answered before the bench stopped waiting. */
  answered: number;
  /**
   * The rest were in flight when a run's time was up; autocannon closed their connections and
   * TokenPak records those too (the client left), so `answered ≤ rows ≤ sent`.
   */
  cutOffAtRunEnd: number;
  /** Requests TokenPak itself counted (`/tokenpak/status` requests.total); null when unreadable. */
  handledByTokenPak: number | null;
  /** Rows in the ledger (`/tokenpak/stats` total.requests); null when unreadable. */
  rowsWritten: number | null;
  /** `/tokenpak/status` ledger.dropped: rows that will never be written; null when unreadable. */
  dropped: number | null;
  /** Every request has its row: none dropped, rows = TokenPak's own count, and answered ≤ rows ≤ sent. */
  complete: boolean;
}

interface TokenPakStatus {
  inFlight?: number;
  requests?: { total?: number };
  ledger?: { queued?: number; dropped?: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readJson<T>(url: string): Promise<T | null> {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as T) : null;
  } catch {
    return null;
  }
}

const readStatus = (baseUrl: string): Promise<TokenPakStatus | null> => readJson<TokenPakStatus>(`${baseUrl}/tokenpak/status`);

export async function countLedgerRows(baseUrl: string): Promise<number | null> {
  const body = await readJson<{ total?: { requests?: number } }>(`${baseUrl}/tokenpak/stats?since=1d`);
  return body?.total?.requests ?? null;
}

/** Rows are queued on the event loop and written in batches every `ledger.flushIntervalMs` (200 ms by default). */
const SETTLE_POLL_MS = 250;
const SETTLE_TIMEOUT_MS = 10_000;

/**
 * Waits until nothing is in flight or queued and the row count has stopped moving (two equal
 * readings a poll apart), then returns the accounting. Gives up waiting after 10 s and
 * reports what it saw then (an incomplete count is then a MISS, not a hang).
 */
export async function accountLedgerRows(baseUrl: string, bench: { sent: number; answered: number }): Promise<LedgerRowAccounting> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let status = await readStatus(baseUrl);
  let rows = await countLedgerRows(baseUrl);
  while (Date.now() < deadline) {
    await sleep(SETTLE_POLL_MS);
    const [nextStatus, nextRows] = [await readStatus(baseUrl), await countLedgerRows(baseUrl)];
    const idle = nextStatus?.inFlight === 0 && nextStatus.ledger?.queued === 0;
    const settled = idle && nextRows !== null && nextRows === rows;
    [status, rows] = [nextStatus, nextRows];
    if (settled) break;
  }
  const handledByTokenPak = status?.requests?.total ?? null;
  const dropped = status?.ledger?.dropped ?? null;
  return {
    ...bench,
    cutOffAtRunEnd: bench.sent - bench.answered,
    handledByTokenPak,
    rowsWritten: rows,
    dropped,
    complete: dropped === 0 && rows !== null && rows === handledByTokenPak && rows >= bench.answered && rows <= bench.sent,
  };
}
