import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { GroupKey, summarize as summarizeType } from '../packages/core/src/ledger/ledger-queries';
import type { LedgerStore as LedgerStoreType, PricedEntry } from '../packages/core/src/ledger/ledger-store';
import { ensureTokenPakBuilt, REPO_ROOT } from './tokenpak-process';

/**
 * The ledger's stats queries on a full ledger: a file of LEDGER_QUERY_BENCH_ROWS rows
 * (default 150,000: 5,000 requests a day for the default 30-day retention) spread over 30
 * days, then the four summaries the dashboard's 30-day view asks for at once (by platform,
 * provider, model and day), and `tokenpak stats`' default (no grouping). The worker answers
 * queries one at a time and each has 2 s (`LEDGER_BOUND_MS`) from when it was asked, so the
 * dashboard's four must finish within 2 s together.
 *
 *   npm run bench:ledger-queries
 *
 * The compiled ledger (`packages/core/dist`) is timed, loaded by Node's own require as the
 * writer thread loads it. Median of 3 rounds; the file lives in a temp dir, removed at the end.
 */

const ROWS = Number(process.env.LEDGER_QUERY_BENCH_ROWS ?? 150_000);
const DAYS = 30;
const ROUNDS = 3;
const DASHBOARD_GROUPS: readonly GroupKey[] = ['platform', 'provider', 'model', 'day'];
const PLATFORMS = ['claude-code', 'codex', 'openclaw', null];
const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', 'gpt-5-codex'];

/** Row `index` of the ledger: varied keys and times, the usage an agent's turn has. */
function row(index: number, startedAt: number): PricedEntry {
  return {
    requestId: `req_bench_${index}`,
    startedAt,
    method: 'POST',
    path: '/v1/messages',
    platform: PLATFORMS[index % PLATFORMS.length]!,
    sessionId: `session-${index % 300}`,
    provider: index % 3 === 0 ? 'tokenpak-claude-code' : 'tokenpak-anthropic',
    providerSource: 'default',
    routeClass: 'api',
    backend: 'http',
    via: 'http',
    credentialSource: 'caller',
    upstream: 'https://api.anthropic.com',
    reasons: ['platform: signal "claude-code" matched', 'provider: default for /v1/messages'],
    model: MODELS[index % MODELS.length]!,
    status: index % 50 === 0 ? 529 : 200,
    errorType: index % 50 === 0 ? 'overloaded_error' : null,
    ttfbMs: 300 + (index % 977),
    totalMs: 1000 + ((index * 7919) % 30_000) + (index % 1000) / 1000,
    bytesIn: 180_000,
    bytesOut: 3_000,
    usage: { inputTokens: 50_000, outputTokens: 500, cacheReadTokens: 40_000, cacheWriteTokens: 1_000, cacheWrite1hTokens: 0 },
    costUsd: 0.02,
  };
}

function millisOf(action: () => unknown): number {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function main(): void {
  ensureTokenPakBuilt();
  const load = createRequire(path.join(REPO_ROOT, 'packages/core/dist/ledger/'));
  const { LedgerStore } = load('./ledger-store.js') as { LedgerStore: typeof LedgerStoreType };
  const { summarize } = load('./ledger-queries.js') as { summarize: typeof summarizeType };

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-bench-queries-'));
  try {
    const store = LedgerStore.openForWriting(path.join(dir, 'ledger.db'));
    const now = Date.now();
    const span = DAYS * 86_400_000;
    process.stderr.write(`writing ${ROWS.toLocaleString('en-US')} rows…\n`);
    for (let first = 0; first < ROWS; first += 1000) {
      const count = Math.min(1000, ROWS - first);
      store.insert(Array.from({ length: count }, (_, offset) => row(first + offset, now - span + Math.floor(((first + offset) / ROWS) * span))));
    }
    const since = now - span;
    const timings = new Map<string, number[]>();
    const record = (name: string, ms: number): number => {
      timings.set(name, [...(timings.get(name) ?? []), ms]);
      return ms;
    };
    for (let round = 0; round < ROUNDS; round++) {
      let dashboard = 0;
      for (const by of DASHBOARD_GROUPS)
        dashboard += record(
          `30 days by ${by}`,
          millisOf(() => summarize(store.db, { since }, by)),
        );
      record("the dashboard's 30-day view (all four)", dashboard);
      record(
        '30 days, no grouping (`tokenpak stats --since 30d`)',
        millisOf(() => summarize(store.db, { since }, null)),
      );
    }
    store.close();
    process.stdout.write(`| query, ${ROWS.toLocaleString('en-US')} rows over ${DAYS} days | ms (median of ${ROUNDS}) |\n| --- | --- |\n`);
    for (const [name, values] of timings) process.stdout.write(`| ${name} | ${median(values).toFixed(0)} |\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
