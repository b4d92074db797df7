import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchSettings } from './bench-settings';
import { mib, type Verdict } from './performance-targets';
import type { ComparisonRow, DetectionSummary, RssSummary, RunHealth, RunRecord } from './results';
import { COMPARISON_SCENARIOS, DETECTION_VARIANTS } from './scenarios';

export interface BenchReport {
  generatedAt: string;
  environment: { node: string; platform: string; cpus: number; cpuModel: string; loadAverageAtStart: number };
  settings: BenchSettings;
  comparisons: ComparisonRow[];
  detection: DetectionSummary;
  rss: RssSummary;
  verdicts: Verdict[];
  health: RunHealth;
  runs: RunRecord[];
}

const reqs = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => value.toFixed(3);
const signedMs = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function comparisonTable(rows: readonly ComparisonRow[]): string {
  return table(
    ['scenario', 'concurrency', 'raw req/s', 'tokenpak req/s', 'ratio', 'raw p50/p99 (ms)', 'tokenpak p50/p99 (ms)', 'added p50 (ms)'],
    rows.map((row) => [
      row.label,
      String(row.connections),
      reqs(row.raw.requestsPerSecond),
      reqs(row.tokenpak.requestsPerSecond),
      row.ratio.toFixed(2),
      `${ms(row.raw.p50Ms)} / ${ms(row.raw.p99Ms)}`,
      `${ms(row.tokenpak.p50Ms)} / ${ms(row.tokenpak.p99Ms)}`,
      signedMs(row.addedP50Ms),
    ]),
  );
}

function detectionSection(detection: DetectionSummary, rows: readonly ComparisonRow[]): string {
  const plain = rows.find((row) => row.scenarioId === 'messages-2kb' && row.connections === 1);
  return [
    table(
      ['request (TokenPak only, concurrency 1)', 'req/s', 'p50 (ms)', 'p99 (ms)'],
      [
        [detection.label.notInspected, reqs(detection.notInspected.requestsPerSecond), ms(detection.notInspected.p50Ms), ms(detection.notInspected.p99Ms)],
        [detection.label.inspected, reqs(detection.inspected.requestsPerSecond), ms(detection.inspected.p50Ms), ms(detection.inspected.p99Ms)],
      ],
    ),
    '',
    `Body inspection adds ${signedMs(detection.addedP50Ms)} ms p50 (inspected − not inspected).`,
    plain
      ? `A request no signal wants (Messages 2 KB, c=1, row above) costs ${signedMs(plain.addedP50Ms)} ms p50 over the raw pipe — no inspection, no buffering.`
      : '',
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
    `TokenPak peak RSS under load: ${mib(rss.tokenpakPeakBytes)} (${rss.tokenpakSamples} samples every ~200 ms; idle after start-up: ${mib(rss.tokenpakIdleBytes)}). ` +
      `Raw pipe peak, for scale: ${mib(rss.rawPeakBytes)}.`,
    '',
    table(
      ['load (warm-up included)', 'raw peak RSS', 'tokenpak peak RSS'],
      cases.map((label) => [label, peakOf('raw', label), peakOf('tokenpak', label)]),
    ),
  ].join('\n');
}

export function formatReport(report: BenchReport): string {
  const { settings, environment } = report;
  return [
    `## TokenPak vs raw node:http pipe`,
    '',
    `Node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel}), load average ${environment.loadAverageAtStart.toFixed(2)} at start; ` +
      `${settings.repeats} repeats × ${settings.runSeconds} s per cell, medians shown; raw and tokenpak runs interleaved.`,
    '',
    comparisonTable(report.comparisons),
    '',
    '### Body detection (OpenClaw, 200 KB)',
    '',
    detectionSection(report.detection, report.comparisons),
    '',
    '### Memory',
    '',
    memorySection(report.rss),
    '',
    '### Targets',
    '',
    ...report.verdicts.map((verdict) => `${verdict.pass ? 'PASS' : 'MISS'}  ${verdict.target} — ${verdict.measured}`),
    '',
    '### Run health',
    '',
    healthSection(report.health),
  ].join('\n');
}

export const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');

export function writeReportJson(report: BenchReport): string {
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  return RESULTS_FILE;
}
