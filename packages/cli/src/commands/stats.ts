import { GROUP_KEYS, parseSince, summarize, TimeWindowError, type GroupKey, type StatsReport, type StatsTotals } from '@tokenpak/core';
import { parseArgs } from 'node:util';
import { ExitCode, UsageError, type CliIo } from '../io';
import { formatTable, integer, milliseconds, usd, type Column } from '../text-table';
import { locateLedger, noLedgerMessage, openLedger } from './ledger-file';
import { configOption } from './shared-options';

export const statsHelp = `tokenpak stats [--since 24h|7d|<ISO date>] [--by platform|provider|model|session|day] [--json]
  Requests, errors, tokens (input/output/cache), cost and p50/p95 latency from the
  request ledger, read straight from <state.dir>/ledger.db (works with the proxy down).
  Default: the last 24 hours, no grouping.`;

const COLUMNS: readonly Column[] = [
  { header: '' },
  { header: 'requests', align: 'right' },
  { header: 'errors', align: 'right' },
  { header: 'input', align: 'right' },
  { header: 'output', align: 'right' },
  { header: 'cache read', align: 'right' },
  { header: 'cache write', align: 'right' },
  { header: 'cost', align: 'right' },
  { header: 'p50 ms', align: 'right' },
  { header: 'p95 ms', align: 'right' },
];

const EMPTY_TOTALS: StatsTotals = {
  requests: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  unpricedRequests: 0,
  p50Ms: null,
  p95Ms: null,
};

function cells(label: string, totals: StatsTotals): string[] {
  return [
    label,
    integer(totals.requests),
    integer(totals.errors),
    integer(totals.inputTokens),
    integer(totals.outputTokens),
    integer(totals.cacheReadTokens),
    integer(totals.cacheWriteTokens),
    `${usd(totals.costUsd)}${totals.unpricedRequests > 0 ? '*' : ''}`,
    milliseconds(totals.p50Ms),
    milliseconds(totals.p95Ms),
  ];
}

function describeWindow(since: number, sinceText: string): string {
  const date = new Date(since);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())} (${sinceText})`;
}

export function formatStats(report: StatsReport, sinceText: string, ledgerShown: string): string {
  const by = report.by;
  const columns = [{ ...COLUMNS[0]!, header: by ?? '' }, ...COLUMNS.slice(1)];
  const rows = [...report.groups.map((group) => cells(group.key, group)), cells('total', report.total)];
  const title = `Requests since ${report.since === null ? 'the start' : describeWindow(report.since, sinceText)}${by ? `, by ${by}` : ''} — ${ledgerShown}`;
  const notes: string[] = [];
  if (report.total.unpricedRequests > 0) {
    notes.push(`* ${report.total.unpricedRequests} request(s) with unknown cost (no usage in the answer, or no price for the model) are not in the cost.`);
  }
  return [title, '', formatTable(columns, rows), ...(notes.length ? ['', ...notes] : [])].join('\n') + '\n';
}

export async function statsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...configOption, since: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const sinceText = values.since ?? '24h';
  let since: number;
  try {
    since = parseSince(sinceText);
  } catch (error) {
    if (error instanceof TimeWindowError) throw new UsageError(`--since: ${error.message}`);
    throw error;
  }
  const by = values.by ?? null;
  if (by !== null && !(GROUP_KEYS as readonly string[]).includes(by)) throw new UsageError(`--by must be one of ${GROUP_KEYS.join(', ')}`);

  const location = await locateLedger(io, values.config);
  const db = openLedger(location, io);
  let report: StatsReport;
  if (db) {
    try {
      report = summarize(db, { since }, by as GroupKey | null);
    } finally {
      db.close();
    }
  } else {
    io.err(noLedgerMessage(location));
    report = { since, by: by as GroupKey | null, groups: [], total: EMPTY_TOTALS };
  }
  if (values.json) io.out(`${JSON.stringify({ ...report, since: new Date(since).toISOString(), ledger: location.file }, null, 2)}\n`);
  else io.out(formatStats(report, sinceText, location.shown));
  return ExitCode.ok;
}
