import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBenchSettings, type BenchSettings } from './bench-settings';
import { startMockUpstream } from './bench-servers';
import { stopAllChildren, stopChildrenOnExit, type ServerChild } from './child-processes';
import { withCpuPerRequest } from './cpu-per-request';
import { accountLedgerRows, type LedgerRowAccounting } from './ledger-row-accounting';
import { measureLoad } from './measure';
import { differenceOf, pairByRepeat, ratioOf, summarizePerRepeat, type PerRepeatSummary } from './paired-runs';
import { mib, PERFORMANCE_TARGETS } from './performance-targets';
import { answerProblems, sendOnce } from './preflight';
import { cpuBreakdownCells, CPU_BREAKDOWN_HEADER, micros, ms, perRepeat, ratio3, reqs, signedMs, table } from './report-format';
import { cellStats, type CellStats, type MeasuredRun } from './results';
import { RssSampler } from './rss-sampler';
import { COMPARISON_SCENARIOS, type ComparisonScenario } from './scenarios';
import { ensureTokenPakBuilt, startTokenPak, writeTokenPakConfig } from './tokenpak-process';

/**
 * Ledger on vs ledger off: two TokenPak processes, identical but for `ledger.enabled`,
 * in front of the same mock, measured alternately (on, off, off, on…) so machine drift
 * hits both alike; ratios are taken per repeat, between the two adjacent runs. The issue's
 * targets: with the ledger on, at least 0.95× the req/s (and at most +0.2 ms p50) in the 2 KB
 * and streaming scenarios at concurrency 32, and one row written per request, none dropped.
 *
 * `npm run bench` runs it after the main comparison, with the same mock and temp dir:
 *   const ledger = await benchLedger({ mock, tempDir, settings, log });
 *   process.stdout.write(`\n${formatLedgerReport(ledger, settings)}\n`);
 * Standalone: `npx jiti bench/ledger.ts` (BENCH_RUN_SECONDS / BENCH_REPEATS apply).
 */

const SCENARIO_IDS: ReadonlySet<ComparisonScenario['id']> = new Set(['messages-2kb', 'stream-2kb']);
type LedgerSide = 'on' | 'off';

export interface LedgerRun extends MeasuredRun {
  phase: 'warm-up' | 'measured';
  /** 1-based; 0 for warm-up. */
  repeat: number;
  scenarioId: string;
  ledger: LedgerSide;
  connections: number;
}

export interface LedgerBenchRow {
  scenarioId: string;
  label: string;
  connections: number;
  off: CellStats;
  on: CellStats;
  /** Per repeat, on req/s ÷ the adjacent off run's req/s; the target uses the median. */
  ratio: PerRepeatSummary;
  /** Per repeat, on p50 − off p50, ms. */
  addedP50Ms: PerRepeatSummary;
  /** Per repeat, on CPU µs/req ÷ off CPU µs/req (the TokenPak process, all threads); NaN without /proc. */
  cpuRatio: PerRepeatSummary;
  pass: boolean;
}

export interface LedgerBenchResult {
  rows: LedgerBenchRow[];
  /** Did the ledger-on process write a row for every request (none dropped)? */
  rowAccounting: LedgerRowAccounting;
  /** Peak RSS of each process while load ran against it. */
  rssPeakBytes: Record<LedgerSide, number>;
  /** Runs (warm-up included) that got a non-2xx response or a connection error. */
  failedRuns: number;
  runs: LedgerRun[];
}

export interface LedgerBenchOptions {
  mock: ServerChild;
  tempDir: string;
  settings: BenchSettings;
  log(line: string): void;
}

function configWithLedger(dir: string, mock: ServerChild, enabled: boolean): string {
  mkdirSync(dir, { recursive: true });
  const file = writeTokenPakConfig(dir, mock);
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, `${JSON.stringify({ ...config, ledger: { enabled } }, null, 2)}\n`);
  return file;
}

function describeRun(run: LedgerRun): string {
  const { measurement: m } = run;
  const where = `${run.phase === 'warm-up' ? 'warm-up ' : `repeat ${run.repeat}`} ${run.scenarioId} c=${run.connections} ledger ${run.ledger.padEnd(3)}`;
  const health = m.non2xx || m.errors ? `  non-2xx ${m.non2xx} errors ${m.errors}` : '';
  return `[ledger] ${where} ${Math.round(m.requestsPerSecond).toString().padStart(6)} req/s  p50 ${m.p50Ms.toFixed(3)} ms  CPU ${micros(run.cpu.proxy ?? Number.NaN)} µs/req${health}`;
}

function summarizeRows(scenarios: readonly ComparisonScenario[], runs: readonly LedgerRun[], connections: number): LedgerBenchRow[] {
  const t = PERFORMANCE_TARGETS;
  return scenarios.map((scenario) => {
    const side = (ledger: LedgerSide): LedgerRun[] => runs.filter((run) => run.phase === 'measured' && run.scenarioId === scenario.id && run.ledger === ledger);
    const pairs = pairByRepeat(side('off'), side('on'));
    const ratio = summarizePerRepeat(
      pairs,
      ratioOf((run: LedgerRun) => run.measurement.requestsPerSecond),
    );
    const addedP50Ms = summarizePerRepeat(
      pairs,
      differenceOf((run: LedgerRun) => run.measurement.p50Ms),
    );
    return {
      scenarioId: scenario.id,
      label: scenario.label,
      connections,
      off: cellStats(side('off')),
      on: cellStats(side('on')),
      ratio,
      addedP50Ms,
      cpuRatio: summarizePerRepeat(
        pairs,
        ratioOf((run: LedgerRun) => run.cpu.proxy),
      ),
      pass: ratio.median >= t.minLedgerThroughputRatio && addedP50Ms.median <= t.maxLedgerAddedP50Ms,
    };
  });
}

export async function benchLedger(options: LedgerBenchOptions): Promise<LedgerBenchResult> {
  const { mock, settings, log } = options;
  const [on, off] = await Promise.all([
    startTokenPak(configWithLedger(path.join(options.tempDir, 'ledger-on'), mock, true)),
    startTokenPak(configWithLedger(path.join(options.tempDir, 'ledger-off'), mock, false)),
  ]);
  const targets: Record<LedgerSide, ServerChild> = { on, off };
  const samplers: Record<LedgerSide, RssSampler> = {
    on: new RssSampler(on.pid, settings.rssSampleIntervalMs),
    off: new RssSampler(off.pid, settings.rssSampleIntervalMs),
  };
  const scenarios = COMPARISON_SCENARIOS.filter((scenario) => SCENARIO_IDS.has(scenario.id));
  // Every request sent to the ledger-on process must end up as a row: the preflight's count too.
  let preflightToOn = 0;
  for (const scenario of scenarios) {
    for (const [name, target] of Object.entries(targets)) {
      const problems = answerProblems(scenario, await sendOnce(target.url, scenario));
      if (problems.length > 0) throw new Error(`ledger bench preflight, ledger ${name}, ${scenario.id}: ${problems.join('; ')}`);
      if (target === on) preflightToOn += 1;
    }
  }

  const connections = PERFORMANCE_TARGETS.ledgerConcurrency;
  const runs: LedgerRun[] = [];
  const runOnce = async (scenario: ComparisonScenario, ledger: LedgerSide, phase: LedgerRun['phase'], repeat: number): Promise<void> => {
    const durationSeconds = phase === 'warm-up' ? settings.warmupSeconds : settings.runSeconds;
    const { result: measured } = await samplers[ledger].during(() =>
      withCpuPerRequest(
        { proxyPid: targets[ledger].pid, upstreamPid: mock.pid },
        () => measureLoad({ baseUrl: targets[ledger].url, request: scenario, connections, durationSeconds }),
        (measurement) => measurement.responses,
      ),
    );
    const run: LedgerRun = { phase, repeat, scenarioId: scenario.id, ledger, connections, measurement: measured.result, cpu: measured.cpu };
    runs.push(run);
    log(describeRun(run));
    await new Promise((resolve) => setTimeout(resolve, settings.settleMs));
  };

  for (const scenario of scenarios) {
    for (const ledger of ['on', 'off'] as const) await runOnce(scenario, ledger, 'warm-up', 0);
  }
  for (let repeat = 1; repeat <= settings.repeats; repeat++) {
    for (const scenario of scenarios) {
      // Alternate which goes first, so neither always runs right after the other's teardown.
      const order = repeat % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const ledger of order) await runOnce(scenario, ledger, 'measured', repeat);
    }
  }

  const toOn = runs.filter((run) => run.ledger === 'on').map((run) => run.measurement);
  const rowAccounting = await accountLedgerRows(on.url, {
    sent: preflightToOn + toOn.reduce((total, m) => total + m.sent, 0),
    answered: preflightToOn + toOn.reduce((total, m) => total + m.responses, 0),
  });
  return {
    rows: summarizeRows(scenarios, runs, connections),
    rowAccounting,
    rssPeakBytes: { on: samplers.on.peakBytes, off: samplers.off.peakBytes },
    failedRuns: runs.filter((run) => run.measurement.non2xx > 0 || run.measurement.errors > 0).length,
    runs,
  };
}

function rowAccountingLine(accounting: LedgerRowAccounting): string {
  const count = (value: number | null): string => (value === null ? 'unknown' : value.toLocaleString('en-US'));
  return (
    `Ledger rows written by the ledger-on process: ${count(accounting.rowsWritten)}; ` +
    `requests it was sent: ${count(accounting.sent)} (${count(accounting.answered)} answered, ${count(accounting.cutOffAtRunEnd)} cut off in flight at the end of a run, which it records too); ` +
    `its own request count: ${count(accounting.handledByTokenPak)}; dropped (/tokenpak/status): ${count(accounting.dropped)}.`
  );
}

export function formatLedgerReport(result: LedgerBenchResult, settings: BenchSettings): string {
  const t = PERFORMANCE_TARGETS;
  return [
    '### Request ledger: on vs off',
    '',
    `${settings.repeats} repeats × ${settings.runSeconds} s per cell, the two processes interleaved; req/s, p50/p99 and CPU µs/req are medians, ` +
      `on ÷ off and added p50 are medians of per-repeat values (range in brackets). ` +
      `Target: on ÷ off ≥ ${t.minLedgerThroughputRatio} and added p50 ≤ +${t.maxLedgerAddedP50Ms} ms.`,
    '',
    table(
      [
        'scenario',
        'concurrency',
        'ledger off req/s',
        'ledger on req/s',
        'on ÷ off',
        'off p50/p99 (ms)',
        'on p50/p99 (ms)',
        'added p50 (ms)',
        'CPU µs/req off',
        'CPU µs/req on',
        'CPU on ÷ off',
        'target',
      ],
      result.rows.map((row) => [
        row.label,
        String(row.connections),
        reqs(row.off.requestsPerSecond),
        reqs(row.on.requestsPerSecond),
        perRepeat(row.ratio, ratio3),
        `${ms(row.off.p50Ms)} / ${ms(row.off.p99Ms)}`,
        `${ms(row.on.p50Ms)} / ${ms(row.on.p99Ms)}`,
        perRepeat(row.addedP50Ms, signedMs),
        micros(row.off.cpuMicrosPerRequest.proxy),
        micros(row.on.cpuMicrosPerRequest.proxy),
        perRepeat(row.cpuRatio, ratio3),
        row.pass ? 'PASS' : 'MISS',
      ]),
    ),
    '',
    'CPU µs per request by process (medians; "other threads" include the ledger writer):',
    '',
    table(
      ['scenario', 'ledger', ...CPU_BREAKDOWN_HEADER],
      result.rows.flatMap((row) => [
        [row.label, 'off', ...cpuBreakdownCells(row.off.cpuMicrosPerRequest)],
        [row.label, 'on', ...cpuBreakdownCells(row.on.cpuMicrosPerRequest)],
      ]),
    ),
    '',
    rowAccountingLine(result.rowAccounting),
    `Peak RSS under load: ledger on ${mib(result.rssPeakBytes.on)}, ledger off ${mib(result.rssPeakBytes.off)}.`,
    ...(result.failedRuns > 0 ? [`FAILED: ${result.failedRuns} ledger runs got non-2xx responses or connection errors.`] : []),
  ].join('\n');
}

async function standalone(): Promise<number> {
  ensureTokenPakBuilt();
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-ledger-bench-'));
  stopChildrenOnExit(() => rmSync(tempDir, { recursive: true, force: true }));
  try {
    const settings = readBenchSettings();
    const mock = await startMockUpstream();
    const result = await benchLedger({ mock, tempDir, settings, log: (text) => process.stderr.write(`${text}\n`) });
    process.stdout.write(`\n${formatLedgerReport(result, settings)}\n`);
    return result.failedRuns > 0 ? 1 : 0;
  } finally {
    await stopAllChildren();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

/** Run directly (`jiti bench/ledger.ts`), not imported by bench/run.ts. */
const runDirectly = process.argv.slice(1).some((arg) => path.resolve(arg) === __filename);
if (runDirectly) {
  standalone().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`ledger bench FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      void stopAllChildren().finally(() => process.exit(1));
    },
  );
}
