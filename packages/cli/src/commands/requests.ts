import { latestId, listRequests, rowsAfter, rowToJson, type LedgerRow, type RowFilter } from '@tokenpak/core';
import type Database from 'better-sqlite3';
import { parseArgs } from 'node:util';
import { ExitCode, UsageError, type CliIo } from '../io';
import { formatFixedRow, formatTable, integer, usd, type Column } from '../text-table';
import { locateLedger, noLedgerMessage, openLedger, type LedgerLocation } from './ledger-file';
import { configOption } from './shared-options';

export const requestsHelp = `tokenpak requests [--limit N] [--failed] [--platform X] [--follow] [--json]
  The most recent requests from the ledger (oldest first, newest last), read straight from
  <state.dir>/ledger.db. --follow keeps printing new ones as the proxy writes them (Ctrl-C stops).`;

/** How often --follow looks for new rows (the proxy writes a batch at most every ledger.flushIntervalMs). */
const FOLLOW_POLL_MS = 200;
const MAX_LIMIT = 10_000;

const COLUMNS: readonly Column[] = [
  { header: 'time', maxWidth: 14 },
  { header: 'platform', maxWidth: 10 },
  { header: 'provider', maxWidth: 22 },
  { header: 'backend/via', maxWidth: 15 },
  { header: 'model', maxWidth: 28 },
  { header: 'status', maxWidth: 24 },
  { header: 'ms', align: 'right', maxWidth: 8 },
  { header: 'tokens in→out', align: 'right', maxWidth: 17 },
  { header: 'cost', align: 'right', maxWidth: 9 },
];

const pad2 = (n: number): string => String(n).padStart(2, '0');

function cells(row: LedgerRow): string[] {
  const time = new Date(row.startedAt);
  const tokensIn = row.inputTokens === null ? null : row.inputTokens + (row.cacheReadTokens ?? 0) + (row.cacheWriteTokens ?? 0);
  return [
    `${pad2(time.getMonth() + 1)}-${pad2(time.getDate())} ${pad2(time.getHours())}:${pad2(time.getMinutes())}:${pad2(time.getSeconds())}`,
    row.platform ?? 'none',
    row.provider ?? 'none',
    `${row.backend}/${row.via}`,
    row.model ?? 'unknown',
    row.status === null ? `— ${row.errorType ?? ''}`.trim() : row.errorType ? `${row.status} ${row.errorType}` : String(row.status),
    integer(row.totalMs),
    tokensIn === null ? '—' : `${integer(tokensIn)}→${integer(row.outputTokens)}`,
    usd(row.costUsd),
  ];
}

export async function requestsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...configOption,
      limit: { type: 'string', short: 'n' },
      failed: { type: 'boolean' },
      platform: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) throw new UsageError(`--limit must be an integer from 0 to ${MAX_LIMIT}`);
  const filter: RowFilter = { failed: values.failed, platform: values.platform };
  const location = await locateLedger(io, values.config);
  const json = values.json === true;
  const print = (rows: readonly LedgerRow[]): void => {
    for (const row of rows) io.out(json ? `${JSON.stringify(rowToJson(row))}\n` : `${formatFixedRow(COLUMNS, cells(row))}\n`);
  };

  if (!values.follow) {
    const db = openLedger(location, io);
    if (!db) {
      io.err(noLedgerMessage(location));
      if (json) io.out('[]\n');
      return ExitCode.ok;
    }
    try {
      const rows = listRequests(db, { ...filter, limit }).reverse();
      if (json) io.out(`${JSON.stringify(rows.map(rowToJson), null, 2)}\n`);
      else io.out(`${formatTable(COLUMNS, rows.map(cells))}\n`);
    } finally {
      db.close();
    }
    return ExitCode.ok;
  }

  if (!json)
    io.out(
      `${formatFixedRow(
        COLUMNS,
        COLUMNS.map((column) => column.header),
      )}\n`,
    );
  await follow(location, io, filter, limit, print);
  return ExitCode.ok;
}

/** Prints the last `limit` rows, then every new one, until SIGINT/SIGTERM. Waits for the file if there is none yet. */
async function follow(location: LedgerLocation, io: CliIo, filter: RowFilter, limit: number, print: (rows: readonly LedgerRow[]) => void): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let db: Database.Database | null = null;
  let lastId = 0;
  let waitingShown = false;
  try {
    while (!stop.signal.aborted) {
      if (!db) {
        db = openLedger(location, io);
        if (db) {
          const recent = listRequests(db, { ...filter, limit }).reverse();
          print(recent);
          lastId = recent.at(-1)?.id ?? latestId(db);
        } else if (!waitingShown) {
          waitingShown = true;
          io.err(noLedgerMessage(location));
        }
      } else {
        const rows = rowsAfter(db, lastId, 1000, filter);
        if (rows.length > 0) {
          print(rows);
          lastId = rows[rows.length - 1]!.id;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FOLLOW_POLL_MS);
        stop.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    db?.close();
  }
}
