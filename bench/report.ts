import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchSettings } from './bench-settings';
import type { CompanionBenchResult } from './companion';
import type { LedgerBenchResult } from './ledger';
import { mib, type Verdict } from './performance-targets';
import { cpuBreakdownCells, CPU_BREAKDOWN_HEADER, micros, ms, perRepeat, ratio2, reqs, signedMs, table } from './report-format';
import type { ComparisonRow, DetectionSummary, RssSummary, RunHealth, RunRecord } from './results';
import { COMPARISON_SCENARIOS, DETECTION_VARIANTS } from './scenarios';

/** Everything `npm run bench` measured; the shape of `bench/results/latest.json`. A part left out (BENCH_ONLY) is empty or null. */
export interface BenchReport {
  generatedAt: string;
  environment: { node: string; platform: string; cpus: number; cpuModel: string; loadAverageAtStart: number; clockTicksPerSecond: number | null };
  settings: BenchSettings;
  comparisons: ComparisonRow[];
  detection: DetectionSummary | null;
  rss: RssSummary | null;
  ledger: LedgerBenchResult | null;
  companion: CompanionBenchResult | null;
  verdicts: Verdict[];
  health: RunHealth;
  runs: RunRecord[];
}

function comparisonTable(rows: readonly ComparisonRow[]): string {
  return table(
    [
      'scenario',
      'concurrency',
      'raw req/s',
      'tokenpak req/s',
      'ratio',
      'raw p50/p99 (ms)',
      'tokenpak p50/p99 (ms)',
      'added p50 (ms)',
      'CPU µs/req (proxy) raw',
      'CPU µs/req (proxy) tokenpak',
      'CPU ratio',
    ],
    rows.map((row) => [
      row.label,
      String(row.connections),
      reqs(row.raw.requestsPerSecond),
      reqs(row.tokenpak.requestsPerSecond),
      perRepeat(row.ratio, ratio2),
      `${ms(row.raw.p50Ms)} / ${ms(row.raw.p99Ms)}`,
      `${ms(row.tokenpak.p50Ms)} / ${ms(row.tokenpak.p99Ms)}`,
      perRepeat(row.addedP50Ms, signedMs),
      micros(row.raw.cpuMicrosPerRequest.proxy),
      micros(row.tokenpak.cpuMicrosPerRequest.proxy),
      perRepeat(row.cpuRatio, ratio2),
    ]),
  );
}

/** Where each request's CPU goes: which process, and for the proxy, event loop or other threads. */
function cpuBreakdownTable(rows: readonly ComparisonRow[]): string {
  return table(
    ['scenario', 'concurrency', 'proxy', ...CPU_BREAKDOWN_HEADER],
    rows.flatMap((row) => [
      [row.label, String(row.connections), 'raw', ...cpuBreakdownCells(row.raw.cpuMicrosPerRequest)],
      [row.label, String(row.connections), 'tokenpak', ...cpuBreakdownCells(row.tokenpak.cpuMicrosPerRequest)],
    ]),
  );
}

function detectionSection(detection: DetectionSummary, rows: readonly ComparisonRow[]): string {
  const plain = rows.find((row) => row.scenarioId === 'messages-2kb' && row.connections === 1);
  return [
    table(
      ['request (TokenPak only, concurrency 1)', 'req/s', 'p50 (ms)', 'p99 (ms)', 'CPU µs/req (proxy)'],
      [
        [
          detection.label.notInspected,
          reqs(detection.notInspected.requestsPerSecond),
          ms(detection.notInspected.p50Ms),
          ms(detection.notInspected.p99Ms),
          micros(detection.notInspected.cpuMicrosPerRequest.proxy),
        ],
        [
          detection.label.inspected,
          reqs(detection.inspected.requestsPerSecond),
          ms(detection.inspected.p50Ms),
          ms(detection.inspected.p99Ms),
          micros(detection.inspected.cpuMicrosPerRequest.proxy),
        ],
      ],
    ),
    '',
    `Body inspection adds ${perRepeat(detection.addedP50Ms, signedMs)} ms p50 (inspected − not inspected, median of per-repeat differences).`,
    ...(plain
      ? [
          `A request no signal wants (Messages 2 KB, c=1, row above) costs ${perRepeat(plain.addedP50Ms, signedMs)} ms p50 over the raw pipe — no inspection, no buffering.`,
        ]
      : []),
  ].join('\n');
}

function healthSection(health: RunHealth): string {
  const lines = [`Runs: ${health.runs} (warm-up included); non-2xx responses: ${health.non2xx}; errors: ${health.errors} (timeouts: ${health.timeouts}).`];
  for (const run of health.failedRuns) {
    lines.push(
      `  FAILED ${run.phase} ${run.proxy} ${run.caseId} c=${run.connections}${run.repeat ? ` repeat ${run.repeat}` : ''}: non-2xx ${run.measurement.non2xx}, errors ${run.measurement.errors}, timeouts ${run.measurement.timeouts}`,
    );
  }
  return lines.join('\n');
}

function memorySection(rss: RssSummary): string {
  // Comparison scenarios first (in table order, c=1 before c=32), then the detection variants.
  const caseOrder = [...COMPARISON_SCENARIOS, ...DETECTION_VARIANTS].map((request) => request.id as string);
  const ordered = [...rss.byCase].sort((a, b) => caseOrder.indexOf(a.caseId) - caseOrder.indexOf(b.caseId) || a.connections - b.connections);
  const cases = [...new Set(ordered.map((entry) => `${entry.caseId} c=${entry.connections}`))];
  const peakOf = (proxy: string, label: string): string => {
    const entry = rss.byCase.find((candidate) => candidate.proxy === proxy && `${candidate.caseId} c=${candidate.connections}` === label);
    return entry ? mib(entry.peakBytes) : '—';
  };
  return [
    [
      `TokenPak peak RSS under load: ${mib(rss.tokenpakPeakBytes)} (${rss.tokenpakSamples} samples every ~200 ms; idle after start-up: ${mib(rss.tokenpakIdleBytes)}).`,
      ...(rss.rawPeakBytes === null ? [] : [`Raw pipe peak, for scale: ${mib(rss.rawPeakBytes)}.`]),
    ].join(' '),
    '',
    table(
      ['load (warm-up included)', 'raw peak RSS', 'tokenpak peak RSS'],
      cases.map((label) => [label, peakOf('raw', label), peakOf('tokenpak', label)]),
    ),
  ].join('\n');
}

/** The comparison, detection and memory sections (each only if its part ran). */
export function formatComparisonReport(report: BenchReport): string {
  const { settings, environment, comparisons, detection, rss } = report;
  const sections: string[] = [
    `## TokenPak vs raw node:http pipe`,
    '',
    `Node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel}), load average ${environment.loadAverageAtStart.toFixed(2)} at start; ` +
      `${settings.repeats} repeats × ${settings.runSeconds} s per cell, raw and tokenpak runs interleaved. req/s, p50/p99 and CPU µs/req are medians over repeats; ` +
      `ratio, added p50 and CPU ratio are medians of per-repeat values (tokenpak ÷ or − the raw run next to it), range in brackets.`,
  ];
  if (comparisons.length > 0) {
    sections.push('', comparisonTable(comparisons), '', 'CPU µs per request by process (medians):', '', cpuBreakdownTable(comparisons));
  }
  if (detection) sections.push('', '### Body detection (OpenClaw, 200 KB)', '', detectionSection(detection, comparisons));
  if (rss) sections.push('', '### Memory', '', memorySection(rss));
  return sections.join('\n');
}

export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return ['### Targets', '', ...verdicts.map((verdict) => `${verdict.pass ? 'PASS' : 'MISS'}  ${verdict.target} — ${verdict.measured}`)].join('\n');
}

export function formatHealth(health: RunHealth): string {
  return ['### Run health', '', healthSection(health)].join('\n');
}

export const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');

export function writeReportJson(report: BenchReport): string {
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  return RESULTS_FILE;
}
