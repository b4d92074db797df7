import 'reflect-metadata';
import Database from 'better-sqlite3';
import path from 'node:path';
import { configSchema, createLogger, type ResolvedConfig } from '@tokenpak/core';
import { LedgerFeed } from '../../packages/core/src/ledger/ledger-feed';
import { LedgerRecorder } from '../../packages/core/src/ledger/ledger-recorder';
import type { LedgerEntry, LedgerRow } from '../../packages/core/src/ledger/ledger-row';
import { PriceBook } from '../../packages/core/src/pricing/price-book';
import { makeTempDir } from '../support/temp-dir';

function entry(i: number): LedgerEntry {
  return {
    requestId: `req_${String(i).padStart(8, '0')}`,
    startedAt: Date.now(),
    method: 'POST',
    path: '/v1/messages',
    platform: i % 2 === 0 ? 'openclaw' : null,
    sessionId: null,
    provider: 'tokenpak-claude-code',
    providerSource: 'signal:openclaw',
    routeClass: 'claude-code-cli',
    backend: 'oauth',
    via: 'http',
    credentialSource: 'caller',
    upstream: 'https://api.anthropic.com',
    reasons: ['platform: signal "openclaw" matched', 'key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789'],
    model: 'claude-mock-1',
    status: 200,
    errorType: null,
    ttfbMs: 1.5,
    totalMs: 2.5,
    bytesIn: 100,
    bytesOut: 200,
    usage: { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 },
  };
}

/** The recorder the container would make, over a temp state dir; `flushIntervalMs` long unless a test wants the timer. */
function recorderIn(dir: string, flushIntervalMs = 60_000, feed = new LedgerFeed(), log: string[] = []): LedgerRecorder {
  const resolved: ResolvedConfig = {
    config: configSchema.parse({ state: { dir }, ledger: { flushIntervalMs }, log: { level: 'silent' } }),
    source: null,
    baseDir: dir,
    fromEnv: new Map(),
  };
  return new LedgerRecorder(
    resolved,
    createLogger('warn', { write: (line) => log.push(line) }),
    feed,
    new PriceBook({ 'claude-mock-1': { input: 3, output: 15 } }),
  );
}

async function allRows(recorder: LedgerRecorder): Promise<LedgerRow[]> {
  return recorder.query({ name: 'after', afterId: 0, limit: 100_000 });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The recorder's batching with rows encoded into transferred buffers: the semantics the row arrays had. */
describe('ledger recorder', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.cleanup());

  test('rows recorded before the worker is ready wait encoded, at most 20 000; the oldest overflow is dropped and counted, the rest written in order', async () => {
    const recorder = recorderIn(path.join(temp.dir, 'state'));
    for (let i = 0; i < 20_100; i++) recorder.record(entry(i));
    expect(recorder.snapshot()).toMatchObject({ state: 'closed', queued: 20_000, dropped: 100 });
    recorder.open();
    await until(async () => recorder.snapshot().state === 'open' && (await allRows(recorder)).length === 20_000, 'the waiting rows to be written');
    const rows = await allRows(recorder);
    expect(rows[0]).toMatchObject({ id: 1, requestId: 'req_00000100', platform: 'openclaw', inputTokens: 1_000_000, costUsd: 3 });
    expect(rows[0]!.reasons).toEqual(['platform: signal "openclaw" matched', expect.not.stringContaining('abcdefghijklmnopqrstuvwxyz')]);
    expect(rows[19_999]).toMatchObject({ id: 20_000, requestId: 'req_00020099', platform: null });
    expect(rows.every((row, index) => row.requestId === `req_${String(index + 100).padStart(8, '0')}`)).toBe(true);
    expect(recorder.snapshot()).toMatchObject({ queued: 0, dropped: 100 });
    await recorder.close();
  });

  test('64 rows go at once, fewer wait for the timer, the live feed gets the stored rows, close writes what is left', async () => {
    const stateDir = path.join(temp.dir, 'state');
    const feed: LedgerRow[] = [];
    const liveFeed = new LedgerFeed();
    liveFeed.subscribe((rows) => feed.push(...rows));
    const recorder = recorderIn(stateDir, 60_000, liveFeed);
    recorder.open();
    await until(() => recorder.snapshot().state === 'open', 'the worker to open the file');

    for (let i = 0; i < 63; i++) recorder.record(entry(i));
    expect(recorder.snapshot().queued).toBe(63);
    recorder.record(entry(63));
    expect(recorder.snapshot().queued).toBe(0); // handed over without waiting for the 60 s timer
    await until(() => feed.length === 64, 'the live feed to echo the batch');
    expect(feed.map((row) => row.id)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(feed[63]).toMatchObject({ requestId: 'req_00000063', status: 200, ttfbMs: 1.5, bytesOut: 200 });

    for (let i = 64; i < 70; i++) recorder.record(entry(i));
    expect(recorder.snapshot().queued).toBe(6);
    await recorder.close();
    expect(recorder.snapshot()).toMatchObject({ state: 'closed', queued: 0, dropped: 0 });

    const reopened = recorderIn(stateDir);
    const rows = await allRows(reopened);
    expect(rows.map((row) => row.requestId)).toEqual(Array.from({ length: 70 }, (_, i) => entry(i).requestId));
    await reopened.close();
  });

  test('a batch the writer cannot write (file locked) is kept and retried, in order, until it can', async () => {
    const stateDir = path.join(temp.dir, 'state');
    const log: string[] = [];
    const recorder = recorderIn(stateDir, 20, new LedgerFeed(), log);
    recorder.open();
    await until(() => recorder.snapshot().state === 'open', 'the worker to open the file');
    const locker = new Database(path.join(stateDir, 'ledger.db'));
    locker.prepare('BEGIN IMMEDIATE').run(); // holds the write lock: the writer's inserts fail with SQLITE_BUSY
    try {
      for (let i = 0; i < 100; i++) recorder.record(entry(i));
      await until(() => log.some((line) => /could not write the ledger \(\d+ row\(s\) waiting, will retry\)/.test(line)), 'a write failure');
      for (let i = 100; i < 110; i++) recorder.record(entry(i));
    } finally {
      locker.prepare('COMMIT').run();
      locker.close();
    }
    await until(async () => (await allRows(recorder)).length === 110, 'the retried rows to be written');
    expect((await allRows(recorder)).map((row) => row.requestId)).toEqual(Array.from({ length: 110 }, (_, i) => entry(i).requestId));
    await recorder.close();
  });

  test('the flush interval sends a partial batch', async () => {
    const recorder = recorderIn(path.join(temp.dir, 'state'), 20);
    recorder.open();
    await until(() => recorder.snapshot().state === 'open', 'the worker to open the file');
    recorder.record(entry(1));
    await until(async () => (await allRows(recorder)).length === 1, 'the timer to flush one row');
    await recorder.close();
  });
});
