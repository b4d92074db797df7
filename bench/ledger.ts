import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBenchSettings, type BenchSettings } from './bench-settings';
import { startMockUpstream } from './bench-servers';
import { stopAllChildren, stopChildrenOnExit, type ServerChild } from './child-processes';
import { measureLoad, type LoadMeasurement } from './measure';
import { answerProblems, sendOnce } from './preflight';
import { COMPARISON_SCENARIOS, type ComparisonScenario } from './scenarios';
import { median } from './stats';
import { ensureTokenPakBuilt, startTokenPak, writeTokenPakConfig } from './tokenpak-process';

/**
 * Ledger on vs ledger off: two TokenPak processes, identical but for `ledger.enabled`,
 * in front of the same mock, measured alternately (on, off, on, off…) so machine drift
 * hits both alike. The issue's target: the ledger costs at most 5% throughput and
 * 0.2 ms p50 in the 2 KB and streaming scenarios at concurrency 32.
 *
 * `npm run bench` runs it after the main comparison, with the same mock and temp dir:
 *   const ledger = await benchLedger({ mock, tempDir, settings, log });
 *   process.stdout.write(`\n${ledger.report}\n`);
 * Standalone: `npx jiti bench/ledger.ts` (BENCH_RUN_SECONDS / BENCH_REPEATS apply).
 */

export const LEDGER_TARGETS = { maxThroughputLoss: 0.05, maxAddedP50Ms: 0.2, connections: 32 } as const;
const SCENARIO_IDS: ReadonlySet<ComparisonScenario['id']> = new Set(['messages-2kb', 'stream-2kb']);

export interface LedgerBenchRow {
  scenarioId: string;
  label: string;
  connections: number;
  off: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  on: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  /** on ÷ off requests per second. */
  ratio: number;
  addedP50Ms: number;
  pass: boolean;
}

export interface LedgerBenchResult {
  rows: LedgerBenchRow[];
  /** Rows the ledger-on process wrote (proves it was recording while measured). */
  ledgerRowsWritten: number | null;
  report: string;
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

const summarize = (runs: readonly LoadMeasurement[]) => ({
  requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
  p50Ms: median(runs.map((run) => run.p50Ms)),
  p99Ms: median(runs.map((run) => run.p99Ms)),
});

async function countLedgerRows(url: string): Promise<number | null> {
  try {
    const response = await fetch(`${url}/tokenpak/stats?since=1d`);
    const body = (await response.json()) as { total?: { requests?: number } };
    return body.total?.requests ?? null;
  } catch {
    return null;
  }
}

export async function benchLedger(options: LedgerBenchOptions): Promise<LedgerBenchResult> {
  const { mock, settings, log } = options;
  const [on, off] = await Promise.all([
    startTokenPak(configWithLedger(path.join(options.tempDir, 'ledger-on'), mock, true)),
    startTokenPak(configWithLedger(path.join(options.tempDir, 'ledger-off'), mock, false)),
  ]);
  const targets = { on, off } as const;
  const scenarios = COMPARISON_SCENARIOS.filter((scenario) => SCENARIO_IDS.has(scenario.id));
  for (const scenario of scenarios) {
    for (const [name, target] of Object.entries(targets)) {
      const problems = answerProblems(scenario, await sendOnce(target.url, scenario));
      if (problems.length > 0) throw new Error(`ledger bench preflight, ledger ${name}, ${scenario.id}: ${problems.join('; ')}`);
    }
  }

  const measured: Record<string, Record<'on' | 'off', LoadMeasurement[]>> = {};
  const connections = LEDGER_TARGETS.connections;
  for (const scenario of scenarios) {
    for (const name of ['on', 'off'] as const) {
      await measureLoad({ baseUrl: targets[name].url, request: scenario, connections, durationSeconds: settings.warmupSeconds });
    }
  }
  for (let repeat = 1; repeat <= settings.repeats; repeat++) {
    for (const scenario of scenarios) {
      // Alternate which goes first, so neither always runs right after the other's teardown.
      const order = repeat % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const name of order) {
        const result = await measureLoad({ baseUrl: targets[name].url, request: scenario, connections, durationSeconds: settings.runSeconds });
        (measured[scenario.id] ??= { on: [], off: [] })[name].push(result);
        log(
          `[ledger] repeat ${repeat} ${scenario.id} c=${connections} ledger ${name.padEnd(3)} ${Math.round(result.requestsPerSecond).toString().padStart(6)} req/s  p50 ${result.p50Ms.toFixed(3)} ms${result.non2xx || result.errors ? `  non-2xx ${result.non2xx} errors ${result.errors}` : ''}`,
        );
        await new Promise((resolve) => setTimeout(resolve, settings.settleMs));
      }
    }
  }

  const rows: LedgerBenchRow[] = scenarios.map((scenario) => {
    const onSummary = summarize(measured[scenario.id]!.on);
    const offSummary = summarize(measured[scenario.id]!.off);
    const ratio = onSummary.requestsPerSecond / offSummary.requestsPerSecond;
    const addedP50Ms = onSummary.p50Ms - offSummary.p50Ms;
    return {
      scenarioId: scenario.id,
      label: scenario.label,
      connections,
      on: onSummary,
      off: offSummary,
      ratio,
      addedP50Ms,
      pass: ratio >= 1 - LEDGER_TARGETS.maxThroughputLoss && addedP50Ms <= LEDGER_TARGETS.maxAddedP50Ms,
    };
  });
  // Let the last batch land before counting.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const ledgerRowsWritten = await countLedgerRows(on.url);
  return { rows, ledgerRowsWritten, report: formatLedgerReport(rows, ledgerRowsWritten, settings) };
}

export function formatLedgerReport(rows: readonly LedgerBenchRow[], ledgerRowsWritten: number | null, settings: BenchSettings): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const header = [
    'scenario',
    'concurrency',
    'ledger off req/s',
    'ledger on req/s',
    'on ÷ off',
    'off p50/p99 (ms)',
    'on p50/p99 (ms)',
    'added p50 (ms)',
    'target',
  ];
  return [
    '### Request ledger: on vs off',
    '',
    `${settings.repeats} repeats × ${settings.runSeconds} s per cell, medians; target: at most ${LEDGER_TARGETS.maxThroughputLoss * 100}% fewer req/s and at most +${LEDGER_TARGETS.maxAddedP50Ms} ms p50 with the ledger on.`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map((row) =>
      line([
        row.label,
        String(row.connections),
        Math.round(row.off.requestsPerSecond).toLocaleString('en-US'),
        Math.round(row.on.requestsPerSecond).toLocaleString('en-US'),
        row.ratio.toFixed(3),
        `${row.off.p50Ms.toFixed(3)} / ${row.off.p99Ms.toFixed(3)}`,
        `${row.on.p50Ms.toFixed(3)} / ${row.on.p99Ms.toFixed(3)}`,
        `${row.addedP50Ms >= 0 ? '+' : ''}${row.addedP50Ms.toFixed(3)}`,
        row.pass ? 'PASS' : 'MISS',
      ]),
    ),
    '',
    `Ledger rows written by the ledger-on process during the bench: ${ledgerRowsWritten ?? 'unknown'}.`,
  ].join('\n');
}

async function standalone(): Promise<number> {
  ensureTokenPakBuilt();
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-ledger-bench-'));
  stopChildrenOnExit(() => rmSync(tempDir, { recursive: true, force: true }));
  try {
    const mock = await startMockUpstream();
    const result = await benchLedger({ mock, tempDir, settings: readBenchSettings(), log: (text) => process.stderr.write(`${text}\n`) });
    process.stdout.write(`\n${result.report}\n`);
    return 0;
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
