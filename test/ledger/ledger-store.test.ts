import Database from 'better-sqlite3';
import path from 'node:path';
import { statSync } from 'node:fs';
import { LedgerStore, openLedgerForReading, type PricedEntry } from '../../packages/core/src/ledger/ledger-store';
import { listRequests, rowsAfter, summarize } from '../../packages/core/src/ledger/ledger-queries';
import { LATEST_SCHEMA_VERSION } from '../../packages/core/src/ledger/migrations';
import { LedgerSchemaError, schemaVersion } from '../../packages/core/src/ledger/schema-version';
import { parseSince } from '../../packages/core/src/ledger/time-window';
import { makeTempDir } from '../support/temp-dir';

function entry(overrides: Partial<PricedEntry> = {}): PricedEntry {
  return {
    requestId: `req_${Math.random().toString(16).slice(2)}`,
    startedAt: Date.now(),
    method: 'POST',
    path: '/v1/messages',
    platform: 'openclaw',
    sessionId: 's1',
    provider: 'tokenpak-claude-code',
    providerSource: 'signal:openclaw',
    routeClass: 'claude-code-cli',
    backend: 'oauth',
    via: 'http',
    credentialSource: 'caller',
    upstream: 'https://api.anthropic.com',
    reasons: ['platform: signal "openclaw" matched'],
    model: 'claude-opus-4-8',
    status: 200,
    errorType: null,
    ttfbMs: 5,
    totalMs: 10,
    bytesIn: 100,
    bytesOut: 200,
    usage: { inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 40, cacheWrite1hTokens: 0 },
    costUsd: 0.5,
    ...overrides,
  };
}

describe('ledger store', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    temp = makeTempDir();
    file = path.join(temp.dir, 'state', 'ledger.db');
  });
  afterEach(() => temp.cleanup());

  test('a new file: WAL, owner-only, schema version recorded; reopening migrates nothing', () => {
    const store = LedgerStore.openForWriting(file);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(store.db)).toBe(LATEST_SCHEMA_VERSION);
    store.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = LedgerStore.openForWriting(file);
    expect((again.db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n).toBe(LATEST_SCHEMA_VERSION);
    again.close();
  });

  test("the writer's page cache is 1 MiB, not better-sqlite3's 16 MB default (RSS must not grow with the file)", () => {
    const store = LedgerStore.openForWriting(file);
    // Negative: KiB (SQLite's `cache_size`); the library default is -16000.
    expect(store.db.pragma('cache_size', { simple: true })).toBe(-1024);
    store.close();
  });

  test('a file from a newer TokenPak is not written to', () => {
    LedgerStore.openForWriting(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(LATEST_SCHEMA_VERSION + 1, 'later');
    db.close();
    expect(() => LedgerStore.openForWriting(file)).toThrow(LedgerSchemaError);
  });

  test('rows round-trip; listing, cursors, filters, retention', () => {
    const store = LedgerStore.openForWriting(file);
    const old = Date.now() - 40 * 86_400_000;
    const written = store.insert([
      entry({ startedAt: old }),
      entry(),
      entry({ platform: null, errorType: 'rate_limit_error', status: 429, usage: null, costUsd: null }),
    ]);
    expect(written.map((row) => row.id)).toEqual([1, 2, 3]);
    const reader = openLedgerForReading(file)!;
    const [newest] = listRequests(reader, { limit: 1 });
    expect(newest).toMatchObject({
      id: 3,
      platform: null,
      errorType: 'rate_limit_error',
      inputTokens: null,
      costUsd: null,
      reasons: ['platform: signal "openclaw" matched'],
    });
    expect(listRequests(reader, { limit: 10, failed: true }).map((row) => row.id)).toEqual([3]);
    expect(listRequests(reader, { limit: 10, platform: 'none' }).map((row) => row.id)).toEqual([3]);
    expect(listRequests(reader, { limit: 10, beforeId: 3 }).map((row) => row.id)).toEqual([2, 1]);
    expect(rowsAfter(reader, 1, 10).map((row) => row.id)).toEqual([2, 3]);
    expect(store.deleteOlderThan(Date.now() - 30 * 86_400_000, 100)).toBe(1);
    expect(listRequests(reader, { limit: 10 }).map((row) => row.id)).toEqual([3, 2]);
    reader.close();
    store.close();
  });

  test('stats: sums, errors, unpriced requests, nearest-rank p50/p95, grouping', () => {
    const store = LedgerStore.openForWriting(file);
    store.insert(Array.from({ length: 20 }, (_, i) => entry({ totalMs: i + 1, platform: i < 15 ? 'openclaw' : 'codex' })));
    store.insert([entry({ totalMs: 1000, errorType: 'api_error', status: 502, usage: null, costUsd: null, platform: 'codex' })]);
    const report = summarize(store.db, { since: parseSince('1h') }, 'platform');
    expect(report.total).toMatchObject({
      requests: 21,
      errors: 1,
      inputTokens: 200,
      outputTokens: 400,
      cacheReadTokens: 600,
      cacheWriteTokens: 800,
      unpricedRequests: 1,
    });
    expect(report.total.costUsd).toBeCloseTo(10, 10);
    expect(report.total.p50Ms).toBe(11); // ceil(0.5 × 21) = 11th of 1..20, 1000
    expect(report.total.p95Ms).toBe(20); // ceil(0.95 × 21) = 20th
    expect(report.groups.map((group) => [group.key, group.requests, group.p50Ms])).toEqual([
      ['openclaw', 15, 8],
      ['codex', 6, 18],
    ]);
    store.close();
  });

  test('stats: p50/p95 per group and overall match SQL nearest rank (ties, one-row groups, no platform, a filter)', () => {
    const store = LedgerStore.openForWriting(file);
    const platforms = ['openclaw', 'codex', 'claude-code', null];
    // A fixed pseudo-random spread with many ties; the last platform gets one row.
    store.insert(
      Array.from({ length: 400 }, (_, i) => entry({ totalMs: ((i * 7919) % 97) / 4, platform: platforms[i % 3] ?? null, model: i % 5 === 0 ? 'a' : 'b' })),
    );
    store.insert([entry({ totalMs: 3.5, platform: null })]);
    // The oracle: SQLite's ROW_NUMBER() over the sorted group (what the ledger computed before).
    const oracle = (where: string, key: string): Map<string, [number, number]> => {
      const rows = store.db
        .prepare(
          `SELECT key, MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN total_ms END) AS p50, MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN total_ms END) AS p95
           FROM (SELECT ${key} AS key, total_ms, ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY total_ms) AS rn, COUNT(*) OVER (PARTITION BY ${key}) AS n
                 FROM requests ${where}) GROUP BY key`,
        )
        .all() as { key: string; p50: number; p95: number }[];
      return new Map(rows.map((row) => [String(row.key), [row.p50, row.p95]]));
    };
    for (const filter of [{}, { model: 'a' }]) {
      const where = 'model' in filter ? "WHERE model = 'a'" : '';
      const report = summarize(store.db, filter, 'platform');
      const expected = oracle(where, "COALESCE(platform, 'none')");
      expect(new Map(report.groups.map((group) => [group.key, [group.p50Ms, group.p95Ms]]))).toEqual(expected);
      expect([report.total.p50Ms, report.total.p95Ms]).toEqual(oracle(where, "'all'").get('all'));
      expect(summarize(store.db, filter, null).total).toEqual(report.total);
    }
    expect(summarize(store.db, { model: 'nothing-like-this' }, 'platform')).toMatchObject({ groups: [], total: { requests: 0, p50Ms: null, p95Ms: null } });
    store.close();
  });
});

describe('time windows', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  test.each([
    ['30m', now - 1_800_000],
    ['24h', now - 86_400_000],
    ['7d', now - 7 * 86_400_000],
    ['2w', now - 14 * 86_400_000],
    ['2026-11-24T08:00:00Z', Date.parse('2026-11-24T08:00:00Z')],
  ])('%s', (text, expected) => expect(parseSince(text, now)).toBe(expected));
  test('rejects nonsense', () => expect(() => parseSince('yesterday', now)).toThrow(/not a time window/));
});
