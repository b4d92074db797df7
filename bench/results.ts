import { medianCpuPerRequest, type CpuPerRequest, type CpuPerRequestMedians } from './cpu-per-request';
import type { LoadMeasurement } from './measure';
import { differenceOf, pairByRepeat, ratioOf, summarizePerRepeat, type PerRepeatSummary } from './paired-runs';
import type { RunStep } from './run-plan';
import { COMPARISON_CONCURRENCIES, COMPARISON_SCENARIOS, DETECTION_CONCURRENCY, DETECTION_VARIANTS, type DetectionVariant, type ProxyName } from './scenarios';
import { median } from './stats';

/** What the bench measured, raw and summarised; also the shape of `bench/results/latest.json`. */

/** What every measured load run has, whichever part of the bench ran it. */
export interface MeasuredRun {
  measurement: LoadMeasurement;
  /** CPU µs per response of each process involved in the run. */
  cpu: CpuPerRequest;
}

export interface RunRecord extends Omit<RunStep, 'request'>, MeasuredRun {
  /** Peak RSS of the proxy under test during this run. */
  rssPeakBytes: number;
}

/** Medians over the measured repeats of one cell. */
export interface CellStats {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: CpuPerRequestMedians;
  repeats: number;
}

export interface ComparisonRow {
  scenarioId: string;
  label: string;
  connections: number;
  raw: CellStats;
  tokenpak: CellStats;
  /** Per repeat, tokenpak req/s ÷ the adjacent raw run's req/s; the targets use the median. */
  ratio: PerRepeatSummary;
  /** Per repeat, tokenpak p50 − raw p50, ms. */
  addedP50Ms: PerRepeatSummary;
  /** Per repeat, tokenpak CPU µs/req ÷ raw CPU µs/req (the proxy process, all threads); NaN without /proc. */
  cpuRatio: PerRepeatSummary;
}

export interface DetectionSummary {
  label: Record<'notInspected' | 'inspected', string>;
  notInspected: CellStats;
  inspected: CellStats;
  /** Per repeat, inspected p50 − the adjacent not-inspected run's p50, ms. */
  addedP50Ms: PerRepeatSummary;
}

/** Peak RSS per (proxy, case, concurrency), over all its runs: shows which load drives memory. */
export interface RssByCase {
  proxy: ProxyName;
  caseId: string;
  connections: number;
  peakBytes: number;
}

export interface RssSummary {
  /** After start-up, before any load. */
  tokenpakIdleBytes: number;
  tokenpakPeakBytes: number;
  tokenpakSamples: number;
  /** For scale: the baseline proxy's peak under the same load; null when the comparison did not run (BENCH_ONLY). */
  rawPeakBytes: number | null;
  byCase: RssByCase[];
}

export interface RunHealth {
  runs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Runs (warm-up included) that saw any non-2xx response or error. */
  failedRuns: RunRecord[];
}

/** What every measured load run has, whichever part of the bench ran it. */
export function cellStats(records: readonly MeasuredRun[]): CellStats {
  return {
    requestsPerSecond: median(records.map((record) => record.measurement.requestsPerSecond)),
    p50Ms: median(records.map((record) => record.measurement.p50Ms)),
    p99Ms: median(records.map((record) => record.measurement.p99Ms)),
    cpuMicrosPerRequest: medianCpuPerRequest(records.map((record) => record.cpu)),
    repeats: records.length,
  };
}

function measuredRuns(records: readonly RunRecord[], proxy: ProxyName, caseId: string, connections: number): RunRecord[] {
  return records.filter((record) => record.phase === 'measured' && record.proxy === proxy && record.caseId === caseId && record.connections === connections);
}

const requestsPerSecond = (record: RunRecord): number => record.measurement.requestsPerSecond;
const p50Ms = (record: RunRecord): number => record.measurement.p50Ms;
const proxyCpu = (record: RunRecord): number | null => record.cpu.proxy;

/** Cells that were not run (BENCH_ONLY) are left out. */

export function summarizeComparisons(records: readonly RunRecord[]): ComparisonRow[] {
  return COMPARISON_SCENARIOS.flatMap((scenario) =>
    COMPARISON_CONCURRENCIES.flatMap((connections) => {
      const raw = measuredRuns(records, 'raw', scenario.id, connections);
      const tokenpak = measuredRuns(records, 'tokenpak', scenario.id, connections);
      const pairs = pairByRepeat(raw, tokenpak);
      if (pairs.length === 0) return [];
      return [
        {
          scenarioId: scenario.id,
          label: scenario.label,
          connections,
          raw: cellStats(raw),
          tokenpak: cellStats(tokenpak),
          ratio: summarizePerRepeat(pairs, ratioOf(requestsPerSecond)),
          addedP50Ms: summarizePerRepeat(pairs, differenceOf(p50Ms)),
          cpuRatio: summarizePerRepeat(pairs, ratioOf(proxyCpu)),
        },
      ];
    }),
  );
}

/** Null when detection was not run (BENCH_ONLY). */
export function summarizeDetection(records: readonly RunRecord[]): DetectionSummary | null {
  const variant = (id: DetectionVariant['id']): DetectionVariant => DETECTION_VARIANTS.find((candidate) => candidate.id === id)!;
  const [notInspectedVariant, inspectedVariant] = [variant('not-inspected'), variant('inspected')];
  const notInspected = measuredRuns(records, 'tokenpak', notInspectedVariant.id, DETECTION_CONCURRENCY);
  const inspected = measuredRuns(records, 'tokenpak', inspectedVariant.id, DETECTION_CONCURRENCY);
  const pairs = pairByRepeat(notInspected, inspected);
  if (pairs.length === 0) return null;
  return {
    label: { notInspected: notInspectedVariant.label, inspected: inspectedVariant.label },
    notInspected: cellStats(notInspected),
    inspected: cellStats(inspected),
    addedP50Ms: summarizePerRepeat(pairs, differenceOf(p50Ms)),
  };
}

export function summarizeHealth(records: readonly RunRecord[]): RunHealth {
  const sum = (pick: (record: RunRecord) => number): number => records.reduce((total, record) => total + pick(record), 0);
  return {
    runs: records.length,
    non2xx: sum((record) => record.measurement.non2xx),
    errors: sum((record) => record.measurement.errors),
    timeouts: sum((record) => record.measurement.timeouts),
    failedRuns: records.filter((record) => record.measurement.non2xx > 0 || record.measurement.errors > 0),
  };
}

export function rssByCase(records: readonly RunRecord[]): RssByCase[] {
  const peaks = new Map<string, RssByCase>();
  for (const record of records) {
    const key = `${record.proxy} ${record.caseId} ${record.connections}`;
    const entry = peaks.get(key) ?? { proxy: record.proxy, caseId: record.caseId, connections: record.connections, peakBytes: 0 };
    entry.peakBytes = Math.max(entry.peakBytes, record.rssPeakBytes);
    peaks.set(key, entry);
  }
  return [...peaks.values()];
}
