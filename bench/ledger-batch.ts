import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Worker } from 'node:worker_threads';
import type { LedgerStore } from '../packages/core/src/ledger/ledger-store';
import type { RowBatch } from '../packages/core/src/ledger/row-batch';
import type { RowValues } from '../packages/core/src/ledger/row-values';

/**
 * The ledger's per-row costs, without a load generator or an upstream:
 *
 * * the proxy's thread: `LedgerRecorder.record()` → batch handed to the writer thread
 *   (`postMessage` included) and the writer's replies, as CPU time per row; and record()
 *   alone, old and new interleaved every 1000 rows (the steadiest comparison on a busy box);
 * * the writer thread: receiving, decoding and inserting, as CPU time per row;
 * * the main thread's old space while rows are recorded at a steady rate among
 *   request-like garbage (and the same churn with the ledger off, the floor);
 * * the SQLite insert on its own: binding styles, the `started_at` index.
 *
 *   npx jiti bench/ledger-batch.ts                   the working tree
 *   npx jiti bench/ledger-batch.ts --against HEAD~1  that revision and the working tree, side by side
 *
 * Both are compiled (`tsc`, into a temp dir) and measured as built JavaScript, as the proxy
 * runs: loaded through jiti the same code ran 4-10x slower. "Old" is the revision's own
 * recorder, driven through the API every revision has (`record`, `flush`, `snapshot`).
 * Throughput runs of old and new alternate in one process (machine drift hits both);
 * each steady-rate heap measurement gets a fresh process (`--expose-gc`).
 *
 * CPU times are per thread, from /proc (Linux), so time spent waiting for a core on a busy
 * machine is not counted (the kernel updates them every few ms: good for whole runs, not for
 * single calls); elsewhere only wall times are shown.
 *
 * Env: LEDGER_BENCH_ROWS (100000 per run), LEDGER_BENCH_RUNS (5 per variant; medians),
 * LEDGER_BENCH_RATE (rows/s in the steady phase, 4000), LEDGER_BENCH_SECONDS (8).
 * SQLite files live in a temp dir, removed at the end. About two minutes in all.
 */

const ROWS = Number(process.env.LEDGER_BENCH_ROWS ?? 100_000);
const RUNS = Number(process.env.LEDGER_BENCH_RUNS ?? 5);
const RATE = Number(process.env.LEDGER_BENCH_RATE ?? 4000);
const STEADY_SECONDS = Number(process.env.LEDGER_BENCH_SECONDS ?? 8);
/** Rows built ahead of each burst of record() calls (outside the timed part, few enough to stay young). */
const CHUNK = 1000;
/** Connections in flight: bounds how far out of `started_at` order a finished request can be. */
const CONCURRENCY = 32;
const REPO = path.resolve(__dirname, '..');

// ---------------------------------------------------------------- realistic rows

interface EntryShape {
  url: string;
  platform: string | null;
  provider: string | null;
  providerSource: string;
  routeClass: string;
  backend: string;
  credentialSource: string;
  model: string;
  sessionPrefix: string | null;
}

/** The few kinds of request a TokenPak sees: the same providers, paths and reason lists over and over. */
const SHAPES: readonly EntryShape[] = [
  {
    url: 'https://api.anthropic.com/v1/messages?beta=true',
    platform: 'openclaw',
    provider: 'tokenpak-claude-code',
    providerSource: 'signal:openclaw',
    routeClass: 'claude-code-cli',
    backend: 'oauth',
    credentialSource: 'caller',
    model: 'claude-opus-4-8',
    sessionPrefix: 'oc-session-',
  },
  {
    url: 'https://api.anthropic.com/v1/messages',
    platform: null,
    provider: null,
    providerSource: 'none',
    routeClass: 'anthropic-sdk',
    backend: 'api',
    credentialSource: 'caller',
    model: 'claude-sonnet-4-5',
    sessionPrefix: null,
  },
  {
    url: 'https://api.openai.com/v1/chat/completions',
    platform: null,
    provider: null,
    providerSource: 'none',
    routeClass: 'openai-sdk',
    backend: 'api',
    credentialSource: 'caller',
    model: 'gpt-4o',
    sessionPrefix: null,
  },
  {
    url: 'https://chatgpt.com/backend-api/codex/responses',
    platform: 'codex',
    provider: 'tokenpak-codex',
    providerSource: 'signal:codex',
    routeClass: 'codex-cli',
    backend: 'codex',
    credentialSource: 'codex-login',
    model: 'gpt-5-codex',
    sessionPrefix: 'cx-',
  },
];

const PRICES = {
  'claude-opus-4-8': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
};

/**
 * Ledger entries shaped like real ones, built the way `ledgerEntryFor` builds them: a fresh
 * request id, and path, upstream, session and reason strings made per request (sliced or
 * templated from request data), the decision's columns shared constants, numbers drawn
 * from a seeded sequence (so old and new record the same rows). `started_at` follows a
 * clock of RATE rows/s, each row out of order by at most CONCURRENCY rows, as requests
 * finishing on 32 connections are.
 */
class RowSource {
  private state: number;
  private index = 0;

  constructor(
    seed: number,
    private readonly clockStart = Date.now(),
  ) {
    this.state = seed >>> 0;
  }

  entry(): Record<string, unknown> {
    const i = this.index++;
    const shape = SHAPES[i % 7 < 4 ? 0 : i % 7 < 6 ? 1 + (i % 2) : 3]!;
    const failed = this.random() < 0.05;
    const status = failed ? [429, 502, 529][i % 3]! : 200;
    const query = shape.url.indexOf('?');
    const hostEnd = shape.url.indexOf('/', 8);
    const ttfb = 50 + this.random() * 900;
    return {
      requestId: `req_${randomUUID().replace(/-/g, '')}`,
      startedAt: this.clockStart + Math.floor(((i - Math.floor(this.random() * CONCURRENCY)) * 1000) / RATE),
      method: 'POST',
      path: shape.url.slice(hostEnd, query === -1 ? undefined : query),
      platform: shape.platform,
      sessionId: shape.sessionPrefix ? `${shape.sessionPrefix}${i % 12}` : null,
      provider: shape.provider,
      providerSource: shape.providerSource,
      routeClass: shape.routeClass,
      backend: shape.backend,
      via: 'http',
      credentialSource: shape.credentialSource,
      upstream: shape.url.slice(0, hostEnd).toLowerCase(),
      reasons: [
        shape.platform ? `platform: signal "${shape.platform}" matched` : 'platform: none matched',
        `provider: ${shape.provider ?? 'none'} (${shape.providerSource})`,
        `backend: route class ${shape.routeClass} → ${shape.backend}`,
        ...(failed && status !== 429 ? [`fallback: upstream ${status}, no fallback configured`] : []),
      ],
      model: `${shape.model}`,
      status,
      errorType: failed ? (status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : 'api_error') : null,
      ttfbMs: failed && this.random() < 0.5 ? null : ttfb,
      totalMs: ttfb + this.random() * 20_000,
      bytesIn: 2_000 + Math.floor(this.random() * 200_000),
      bytesOut: failed ? 180 : 500 + Math.floor(this.random() * 50_000),
      usage: failed
        ? null
        : {
            inputTokens: Math.floor(this.random() * 4000),
            outputTokens: Math.floor(this.random() * 2000),
            cacheReadTokens: Math.floor(this.random() * 150_000),
            cacheWriteTokens: Math.floor(this.random() * 8000),
            cacheWrite1hTokens: 0,
          },
    };
  }

  private random(): number {
    this.state = (this.state * 1_664_525 + 1_013_904_223) >>> 0;
    return this.state / 2 ** 32;
  }
}

/** What a proxied request allocates besides its ledger row (a parsed 2 KB body, a header object): young garbage, so scavenges happen as under load. */
const REQUEST_BODY = JSON.stringify({
  model: 'claude-opus-4-8',
  max_tokens: 1024,
  messages: Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i} `.repeat(12) })),
});
function requestChurn(i: number): number {
  const body = JSON.parse(REQUEST_BODY) as { messages: unknown[] };
  const headers: Record<string, string> = {};
  for (let h = 0; h < 16; h++) headers[`x-header-${h}`] = `value-${i}-${h}`;
  return body.messages.length + Object.keys(headers).length;
}

// ---------------------------------------------------------------- measuring

/**
 * CPU time of one thread in ns (Linux: `/proc/…/schedstat`, time on a core). `tid` null:
 * the calling thread. Null where /proc has no schedstat. The kernel updates it at scheduler
 * ticks, so it is read around whole runs (hundreds of ms), never around single calls.
 */
function threadCpuNs(tid: string | null): number | null {
  const file = tid === null ? '/proc/thread-self/schedstat' : `/proc/self/task/${tid}/schedstat`;
  if (!existsSync(file)) return null;
  return Number(readFileSync(file, 'utf8').split(' ')[0]);
}

const threadIds = (): string[] => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task') : []);
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const perRow = (ns: number, rows = ROWS): number => Math.round((ns / 1000 / rows) * 1000) / 1000;
const oldSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const fullGc = (): void => (globalThis as { gc?: () => void }).gc?.();

// ---------------------------------------------------------------- the recorder under test

interface RecorderLike {
  open(): void;
  record(entry: unknown): void;
  flush(): void;
  close(): Promise<void>;
  snapshot(): { state: string; queued: number };
}

interface BenchRecorder {
  label: string;
  recorder: RecorderLike;
  written(): number;
  /** Resolves once the writer has reported `target` rows written in all. */
  writtenReaches(target: number): Promise<void>;
  /** The OS threads that appeared when the writer started (on Linux, one: the worker's). */
  writerTids: string[];
  /** `started_at` continues from run to run, as time does. */
  clock: number;
}

/**
 * The recorder's writer thread. Bench-only: reaches into private fields (`worker.worker`),
 * named the same in every revision since the ledger got its worker thread.
 */
function writerThread(recorder: RecorderLike): Worker {
  const client = (recorder as unknown as { worker: { worker: Worker } | null }).worker;
  if (!client) throw new Error('the recorder has no worker');
  return client.worker;
}

/** A `LedgerRecorder` from a compiled `packages/core` (`dist`), over a fresh state dir, opened unless `enabled` is false. */
async function makeRecorder(label: string, dist: string, stateDir: string, enabled: boolean): Promise<BenchRecorder> {
  require('reflect-metadata');
  const { configSchema } = require(path.join(dist, 'config/schema.js')) as { configSchema: { parse(input: unknown): unknown } };
  const { createLogger } = require(path.join(dist, 'log/logger.js')) as { createLogger(level: string): unknown };
  const { PriceBook } = require(path.join(dist, 'pricing/price-book.js')) as { PriceBook: new (models: unknown) => unknown };
  const { LedgerFeed } = require(path.join(dist, 'ledger/ledger-feed.js')) as { LedgerFeed: new () => unknown };
  const { LedgerRecorder } = require(path.join(dist, 'ledger/ledger-recorder.js')) as {
    LedgerRecorder: new (config: unknown, logger: unknown, feed: unknown, prices: unknown) => RecorderLike;
  };
  const config = configSchema.parse({ state: { dir: stateDir }, ledger: { enabled, retentionDays: 0 }, log: { level: 'warn' } });
  const recorder = new LedgerRecorder(
    { config, source: null, baseDir: stateDir, fromEnv: new Map() },
    createLogger('warn'),
    new LedgerFeed(),
    new PriceBook(PRICES),
  );
  let written = 0;
  let waiter: { target: number; resolve(): void } | null = null;
  const threadsBefore = new Set(threadIds());
  if (enabled) {
    recorder.open();
    const deadline = Date.now() + 10_000;
    while (recorder.snapshot().state !== 'open') {
      if (Date.now() > deadline) throw new Error(`the ledger did not open: ${JSON.stringify(recorder.snapshot())}`);
      await sleep(5);
    }
    writerThread(recorder).on('message', (message: { kind: string; count?: number }) => {
      if (message.kind !== 'inserted') return;
      written += message.count ?? 0;
      if (waiter && written >= waiter.target) waiter.resolve();
    });
  }
  return {
    label,
    recorder,
    written: () => written,
    writtenReaches: (target) => (written >= target ? Promise.resolve() : new Promise((resolve) => (waiter = { target, resolve }))),
    writerTids: threadIds().filter((tid) => !threadsBefore.has(tid)),
    clock: Date.now(),
  };
}

function writerCpuNs(tids: readonly string[]): number | null {
  let total = 0;
  for (const tid of tids) {
    const ns = threadCpuNs(tid);
    if (ns === null) return null;
    total += ns;
  }
  return tids.length > 0 ? total : null;
}

// ---------------------------------------------------------------- throughput

interface ThroughputRun {
  /** Main thread CPU µs per row: the run minus the same run with nothing recorded (entries still built). */
  mainCpu: number | null;
  /** Main thread wall µs per row inside record() / flush() only. */
  mainWall: number;
  /** Writer thread CPU µs per row. */
  writerCpu: number | null;
  /** Writer thread event-loop-active µs per row (wall: includes waiting on the disk). */
  writerBusy: number;
  /** The whole process (both threads, GC helpers, libuv) CPU µs per row, minus the same run with nothing recorded. */
  processCpu: number;
}

/**
 * Builds ROWS entries in chunks and, given a recorder, records each chunk, yielding to the
 * event loop between chunks as the proxy does between requests, then waits until the writer
 * has written them all. Without one it only builds them: the control.
 */
async function recordRows(bench: BenchRecorder | null, source: RowSource): Promise<{ mainCpuNs: number | null; processCpuUs: number; recordWallNs: number }> {
  const before = bench?.written() ?? 0;
  const cpuStart = threadCpuNs(null);
  const processStart = process.cpuUsage();
  let recordWallNs = 0n;
  for (let done = 0; done < ROWS; done += CHUNK) {
    const entries = Array.from({ length: Math.min(CHUNK, ROWS - done) }, () => source.entry());
    if (bench) {
      const start = process.hrtime.bigint();
      for (const entry of entries) bench.recorder.record(entry);
      if (done + CHUNK >= ROWS) bench.recorder.flush();
      recordWallNs += process.hrtime.bigint() - start;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await bench?.writtenReaches(before + ROWS);
  const cpuEnd = threadCpuNs(null);
  const processUsed = process.cpuUsage(processStart);
  return {
    mainCpuNs: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart,
    processCpuUs: processUsed.user + processUsed.system,
    recordWallNs: Number(recordWallNs),
  };
}

/** One measured run: the control (rows built, nothing recorded), then the same rows recorded and written. */
async function throughputRun(bench: BenchRecorder, seed: number): Promise<ThroughputRun> {
  const writer = writerThread(bench.recorder);
  const control = await recordRows(null, new RowSource(seed, bench.clock));
  const eluStart = writer.performance.eventLoopUtilization();
  const writerStart = writerCpuNs(bench.writerTids);
  const run = await recordRows(bench, new RowSource(seed, bench.clock));
  const elu = writer.performance.eventLoopUtilization(eluStart);
  const writerEnd = writerCpuNs(bench.writerTids);
  bench.clock += (ROWS * 1000) / RATE;
  return {
    mainCpu: run.mainCpuNs === null || control.mainCpuNs === null ? null : perRow(run.mainCpuNs - control.mainCpuNs),
    mainWall: perRow(run.recordWallNs),
    writerCpu: writerStart === null || writerEnd === null ? null : perRow(writerEnd - writerStart),
    writerBusy: perRow(elu.active * 1e6),
    processCpu: perRow((run.processCpuUs - control.processCpuUs) * 1000),
  };
}

interface PairedRun {
  /** Per variant label, record() → batch posted, wall µs per row: over the whole run (GC pauses and preemptions included), and the median 1000-row chunk. */
  mean: Record<string, number>;
  median: Record<string, number>;
  /** Median over chunks of the first variant's time ÷ the last's (old ÷ new with --against). */
  ratio: number;
}

/**
 * record() → batch posted, wall µs per row, the variants interleaved chunk by chunk over
 * the same rows (the order flipping every chunk): the machine's drift, at the scale of
 * seconds on a shared box, hits both alike, and the median chunk leaves out the chunks a
 * preemption or a GC pause landed in.
 */
async function pairedRecordRun(benches: readonly BenchRecorder[], seed: number): Promise<PairedRun> {
  const sources = benches.map((bench) => new RowSource(seed, bench.clock));
  const chunkUs = benches.map((): number[] => []);
  const before = benches.map((bench) => bench.written());
  for (let done = 0, chunk = 0; done < ROWS; done += CHUNK, chunk++) {
    const size = Math.min(CHUNK, ROWS - done);
    const order = chunk % 2 === 0 ? benches.map((_, index) => index) : benches.map((_, index) => benches.length - 1 - index);
    for (const index of order) {
      const entries = Array.from({ length: size }, () => sources[index]!.entry());
      const start = process.hrtime.bigint();
      for (const entry of entries) benches[index]!.recorder.record(entry);
      if (done + CHUNK >= ROWS) benches[index]!.recorder.flush();
      chunkUs[index]!.push(Number(process.hrtime.bigint() - start) / 1000 / size);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(benches.map((bench, index) => bench.writtenReaches(before[index]! + ROWS)));
  for (const bench of benches) bench.clock += (ROWS * 1000) / RATE;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  const first = chunkUs[0]!;
  const last = chunkUs[chunkUs.length - 1]!;
  return {
    mean: Object.fromEntries(benches.map((bench, index) => [bench.label, round(mean(chunkUs[index]!))])),
    median: Object.fromEntries(benches.map((bench, index) => [bench.label, round(median(chunkUs[index]!))])),
    ratio: round(median(first.map((value, index) => value / last[index]!))),
  };
}

// ---------------------------------------------------------------- steady rate: the main thread's heap

interface SteadyResult {
  rows: number;
  oldSpaceStartMb: number;
  oldSpacePeakMb: number;
  oldSpaceEndMb: number;
  /** Old space after a full GC at the end minus after one at the start: what stayed. */
  retainedAfterGcMb: number;
  rssPeakMb: number;
  scavenges: number;
  markCompacts: number;
}

/** Records RATE rows/s for STEADY_SECONDS, each after a request's worth of garbage; samples the main thread's old space every 100 ms. */
async function steadyRun(recorder: RecorderLike): Promise<SteadyResult> {
  const source = new RowSource(1);
  let scavenges = 0;
  let markCompacts = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) markCompacts++;
    }
  });
  fullGc();
  const retainedStart = oldSpaceUsed();
  observer.observe({ entryTypes: ['gc'] });
  const oldSpaceStart = oldSpaceUsed();
  let oldSpacePeak = oldSpaceStart;
  let rssPeak = process.memoryUsage.rss();
  const perTick = RATE / 100;
  const ticks = STEADY_SECONDS * 100;
  let rows = 0;
  let sink = 0;
  const startedAt = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    for (let k = 0; k < perTick; k++) {
      sink += requestChurn(rows++);
      recorder.record(source.entry());
    }
    if (tick % 10 === 0) {
      oldSpacePeak = Math.max(oldSpacePeak, oldSpaceUsed());
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }
    // Paced: each tick at its slot, not as soon as the last one is done.
    await sleep(Math.max(0, startedAt + (tick + 1) * 10 - performance.now()));
  }
  const oldSpaceEnd = oldSpaceUsed();
  recorder.flush();
  await sleep(300);
  observer.disconnect();
  fullGc();
  if (sink < 0) process.stdout.write(''); // keeps the churn from being optimised away
  return {
    rows,
    oldSpaceStartMb: mb(oldSpaceStart),
    oldSpacePeakMb: mb(oldSpacePeak),
    oldSpaceEndMb: mb(oldSpaceEnd),
    retainedAfterGcMb: mb(oldSpaceUsed() - retainedStart),
    rssPeakMb: mb(rssPeak),
    scavenges,
    markCompacts,
  };
}

// ---------------------------------------------------------------- the writer's insert alone

interface StoreResult {
  name: string;
  /** This thread's CPU µs per row (null without /proc), and wall µs per row (includes waiting on the disk). */
  cpuUsPerRow: number | null;
  wallUsPerRow: number;
}

/**
 * ROWS rows in 64-row transactions, per binding style, each on a fresh file, in this thread.
 * The first is the product path (LedgerStore.insertRows over batch readers); the others are
 * raw statements on the same schema, from rows already decoded into arrays.
 */
function storeCosts(dist: string, dir: string): StoreResult[] {
  const store = (name: string) => require(path.join(dist, `ledger/${name}.js`)) as Record<string, unknown>;
  const { LedgerStore: Store } = store('ledger-store') as { LedgerStore: typeof LedgerStore };
  const { RowBatchEncoder } = store('row-batch-encoder') as typeof import('../packages/core/src/ledger/row-batch-encoder');
  const { RowBatchReader } = store('row-batch-reader') as typeof import('../packages/core/src/ledger/row-batch-reader');
  const { emptyRowValues } = store('row-values') as typeof import('../packages/core/src/ledger/row-values');

  const encode = (source: RowSource): RowBatch[] => {
    const batches: RowBatch[] = [];
    const encoder = new RowBatchEncoder(64);
    for (let i = 0; i < ROWS; i++) {
      const entry = source.entry() as unknown as Parameters<typeof encoder.append>[0];
      encoder.append(entry, JSON.stringify(entry.reasons), 0.001);
      if (encoder.rows === 64) batches.push(encoder.take()!);
    }
    const last = encoder.take();
    if (last) batches.push(last);
    return batches;
  };
  const asArrays = (batches: readonly RowBatch[]): RowValues[][] =>
    batches.map((batch) => {
      const reader = new RowBatchReader(batch);
      return Array.from({ length: reader.rows }, (_, row) => [...reader.valuesInto(row, emptyRowValues())] as RowValues);
    });
  const inOrder = encode(new RowSource(7));
  const arrays = asArrays(inOrder);
  // Long requests finishing among short ones at a high rate: started_at out of order by up to ~25 000 rows.
  const scattered = arrays.map((rows) => rows.map((values) => [values[0], values[1] - Math.floor(Math.random() * 25_000), ...values.slice(2)] as RowValues));

  const COLUMNS = `request_id, started_at, method, path, platform, session_id, provider, provider_source, route_class, backend, via,
    credential_source, upstream, reasons, model, status, error_type, ttfb_ms, total_ms, bytes_in, bytes_out,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd`
    .split(',')
    .map((column) => column.trim());
  const positional = `INSERT INTO requests (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
  const named = `INSERT INTO requests (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((column) => `@${column}`).join(', ')})`;

  const time = (name: string, run: (store: LedgerStore) => void, prepare?: (store: LedgerStore) => void): StoreResult => {
    const opened = Store.openForWriting(path.join(dir, `store-${name.replace(/\W+/g, '-').slice(0, 60)}.db`));
    prepare?.(opened);
    const cpuStart = threadCpuNs(null);
    const start = process.hrtime.bigint();
    run(opened);
    const wall = Number(process.hrtime.bigint() - start);
    const cpuEnd = threadCpuNs(null);
    opened.close();
    return { name, cpuUsPerRow: cpuStart === null || cpuEnd === null ? null : perRow(cpuEnd - cpuStart), wallUsPerRow: perRow(wall) };
  };
  const positionalFrom =
    (batches: RowValues[][]) =>
    (opened: LedgerStore): void => {
      const statement = opened.db.prepare(positional);
      const write = opened.db.transaction((rows: RowValues[]) => {
        for (const values of rows) statement.run(...values);
      });
      for (const rows of batches) write(rows);
    };
  return [
    time('LedgerStore.insertRows: batch reader → positional, one reused tuple (the product path)', (opened) => {
      for (const batch of inOrder) opened.insertRows([new RowBatchReader(batch)]);
    }),
    time('positional, from arrays (the old worker after its structured clone)', positionalFrom(arrays)),
    time('named parameters: an object per row', (opened) => {
      const statement = opened.db.prepare(named);
      const write = opened.db.transaction((rows: RowValues[]) => {
        for (const values of rows) statement.run(Object.fromEntries(COLUMNS.map((column, index) => [column, values[index]])));
      });
      for (const rows of arrays) write(rows);
    }),
    time('one 64-row INSERT per batch (1 664 parameters)', (opened) => {
      const statement = opened.db.prepare(
        `INSERT INTO requests (${COLUMNS.join(', ')}) VALUES ${Array(64)
          .fill(`(${COLUMNS.map(() => '?').join(', ')})`)
          .join(', ')}`,
      );
      const single = opened.db.prepare(positional);
      for (const rows of arrays) {
        if (rows.length === 64) statement.run(rows.flat());
        else opened.db.transaction(() => rows.forEach((values) => single.run(...values)))();
      }
    }),
    time('positional, without the started_at index', positionalFrom(arrays), (opened) => opened.db.exec('DROP INDEX requests_started_at')),
    time('positional, started_at out of order by up to 25 000 rows', positionalFrom(scattered)),
    time('decode only: batch reader → tuple, no SQLite', () => {
      const values = emptyRowValues();
      let sink = 0;
      for (const batch of inOrder) {
        const reader = new RowBatchReader(batch);
        for (let row = 0; row < reader.rows; row++) sink += reader.valuesInto(row, values)[1];
      }
      if (sink < 0) process.stdout.write('');
    }),
  ];
}

// ---------------------------------------------------------------- child processes

interface Variant {
  label: string;
  /** A compiled `packages/core` (see compileCore). */
  dist: string;
}

type ChildTask = { kind: 'throughput'; variants: Variant[]; storeDist: string } | { kind: 'steady'; variant: Variant; enabled: boolean };

interface ThroughputResult {
  runs: Record<string, ThroughputRun[]>;
  /** The interleaved record() runs. */
  paired: PairedRun[];
  store: StoreResult[];
}

/** Old and new in one process, their runs alternating (the order flips each round), then the insert alone. */
async function throughputChild(variants: readonly Variant[], storeDist: string, dir: string): Promise<ThroughputResult> {
  const benches: BenchRecorder[] = [];
  for (const variant of variants) benches.push(await makeRecorder(variant.label, variant.dist, path.join(dir, variant.label.replace(/\W+/g, '-')), true));
  for (const bench of benches) await throughputRun(bench, 99); // warm-up: JIT, SQLite page cache
  const runs: Record<string, ThroughputRun[]> = Object.fromEntries(benches.map((bench) => [bench.label, []]));
  for (let round = 0; round < RUNS; round++) {
    const order = round % 2 === 0 ? benches : [...benches].reverse();
    for (const bench of order) runs[bench.label]!.push(await throughputRun(bench, 100 + round));
  }
  const paired: PairedRun[] = [];
  for (let round = 0; round < RUNS; round++) paired.push(await pairedRecordRun(benches, 200 + round));
  for (const bench of benches) await bench.recorder.close();
  return { runs, paired, store: storeCosts(storeDist, dir) };
}

async function steadyChild(variant: Variant, enabled: boolean, dir: string): Promise<SteadyResult> {
  const bench = await makeRecorder(variant.label, variant.dist, path.join(dir, 'state'), enabled);
  const result = await steadyRun(bench.recorder);
  await bench.recorder.close();
  return result;
}

function jitiCli(): string {
  return path.join(path.dirname(require.resolve('jiti/package.json')), 'lib', 'jiti-cli.mjs');
}

function runChild<T>(task: ChildTask, what: string): Promise<T> {
  process.stderr.write(`ledger-batch: ${what}…\n`);
  const child = spawn(process.execPath, ['--expose-gc', jitiCli(), __filename, '--child', JSON.stringify(task)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${what}: exit ${code}`));
      else resolve(JSON.parse(output.trim().split('\n').pop() ?? '') as T);
    }),
  );
}

/**
 * `packages/core` compiled to JavaScript under `into` (a temp dir that resolves this
 * checkout's node_modules): the working tree's sources, or a revision's (`git archive`).
 */
function compileCore(revision: string | null, into: string): string {
  mkdirSync(into, { recursive: true });
  let project = path.join(REPO, 'packages/core/tsconfig.build.json');
  if (revision !== null) {
    const archive = execFileSync(
      'git',
      ['-C', REPO, 'archive', '--format=tar', revision, 'tsconfig.json', 'packages/core/src', 'packages/core/tsconfig.build.json'],
      {
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    execFileSync('tar', ['-x', '-C', into], { input: archive });
    project = path.join(into, 'packages/core/tsconfig.build.json');
  }
  symlinkSync(path.join(REPO, 'node_modules'), path.join(into, 'node_modules'), 'dir');
  const dist = path.join(into, 'packages/core/dist');
  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', project, '--outDir', dist, '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'inherit' });
  return dist;
}

// ---------------------------------------------------------------- report

/** Median of one field over runs, '–' when the platform cannot measure it. */
function medianOf(runs: readonly ThroughputRun[], field: keyof ThroughputRun): string {
  const values = runs.map((run) => run[field]).filter((value): value is number => value !== null);
  return values.length > 0 ? median(values).toFixed(2) : '–';
}

function report(throughput: ThroughputResult, steady: ReadonlyArray<{ label: string; result: SteadyResult }>): string {
  const lines = [
    `Per row, recorded → written: ${ROWS} rows a run, median of ${RUNS} runs after a warm-up, old and new alternating. CPU: each thread's`,
    `own time on a core. Wall: record() alone; writer busy: its event loop's active time (disk waits included).`,
    '',
    '| variant | main CPU µs | main wall µs (record) | writer CPU µs | writer busy µs | process CPU µs |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [label, runs] of Object.entries(throughput.runs)) {
    lines.push(
      `| ${label} | ${medianOf(runs, 'mainCpu')} | ${medianOf(runs, 'mainWall')} | ${medianOf(runs, 'writerCpu')} | ${medianOf(runs, 'writerBusy')} | ${medianOf(runs, 'processCpu')} |`,
    );
  }
  lines.push('', 'Each run (main CPU / writer CPU, µs per row):');
  for (const [label, runs] of Object.entries(throughput.runs)) lines.push(`* ${label}: ${runs.map((run) => `${run.mainCpu} / ${run.writerCpu}`).join(', ')}`);
  lines.push(
    '',
    `record() → batch posted, wall µs per row, the variants interleaved every ${CHUNK} rows; medians over ${RUNS} runs of the run's mean and of its median chunk:`,
    '',
    '| variant | mean µs/row | median chunk µs/row |',
    '| --- | --- | --- |',
  );
  for (const label of Object.keys(throughput.runs)) {
    lines.push(
      `| ${label} | ${median(throughput.paired.map((run) => run.mean[label]!)).toFixed(2)} | ${median(throughput.paired.map((run) => run.median[label]!)).toFixed(2)} |`,
    );
  }
  if (Object.keys(throughput.runs).length > 1) {
    lines.push(
      '',
      `Chunk by chunk, first ÷ last variant (median; each run): ${median(throughput.paired.map((run) => run.ratio)).toFixed(2)} (${throughput.paired.map((run) => run.ratio).join(', ')})`,
    );
  }
  lines.push(
    '',
    `The main thread's heap while ${RATE} rows/s are recorded for ${STEADY_SECONDS} s, each row after a request's worth of garbage (~10 KB):`,
    '',
    '| variant | old space start → peak → end (MB) | retained after full GC (MB) | RSS peak (MB) | scavenges | mark-compacts |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const { label, result: s } of steady) {
    lines.push(
      `| ${label} | ${s.oldSpaceStartMb} → ${s.oldSpacePeakMb} → ${s.oldSpaceEndMb} | ${s.retainedAfterGcMb} | ${s.rssPeakMb} | ${s.scavenges} | ${s.markCompacts} |`,
    );
  }
  lines.push(
    '',
    `The writer's insert alone (${ROWS} rows, 64-row transactions, one thread):`,
    '',
    '| insert | CPU µs/row | wall µs/row |',
    '| --- | --- | --- |',
  );
  for (const row of throughput.store) lines.push(`| ${row.name} | ${row.cpuUsPerRow ?? '–'} | ${row.wallUsPerRow} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt !== -1) {
    const task = JSON.parse(process.argv[childAt + 1]!) as ChildTask;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-ledger-batch-'));
    try {
      const result =
        task.kind === 'throughput' ? await throughputChild(task.variants, task.storeDist, dir) : await steadyChild(task.variant, task.enabled, dir);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const againstAt = process.argv.indexOf('--against');
  const against = againstAt === -1 ? null : process.argv[againstAt + 1]!;
  const temp = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-ledger-batch-build-'));
  try {
    process.stderr.write('ledger-batch: compiling packages/core…\n');
    const current: Variant = { label: 'new: working tree', dist: compileCore(null, path.join(temp, 'current')) };
    const variants = against ? [{ label: `old: ${against}`, dist: compileCore(against, path.join(temp, 'against')) }, current] : [current];
    const throughput = await runChild<ThroughputResult>({ kind: 'throughput', variants, storeDist: current.dist }, 'throughput, old and new alternating');
    const steady: Array<{ label: string; result: SteadyResult }> = [];
    const off = { ...current, label: 'ledger off (the churn alone)' };
    steady.push({ label: off.label, result: await runChild<SteadyResult>({ kind: 'steady', variant: off, enabled: false }, off.label) });
    for (const variant of variants) {
      steady.push({ label: variant.label, result: await runChild<SteadyResult>({ kind: 'steady', variant, enabled: true }, `steady rate, ${variant.label}`) });
    }
    process.stdout.write(`${report(throughput, steady)}\n`);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`ledger-batch FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
