import type { LoadMeasurement } from './measure';
import type { RunStep } from './run-plan';
import { COMPARISON_CONCURRENCIES, COMPARISON_SCENARIOS, DETECTION_CONCURRENCY, DETECTION_VARIANTS, type DetectionVariant, type ProxyName } from './scenarios';
import { median } from './stats';

/** What the bench measured, raw and summarised; also the shape of `bench/results/latest.json`. */

export interface RunRecord extends Omit<RunStep, 'request'> {
  measurement: LoadMeasurement;
  /** Peak RSS of the proxy under test during this run. */
  rssPeakBytes: number;
}

/** Medians over the measured repeats of one cell. */
export interface CellStats {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  repeats: number;
}

export interface ComparisonRow {
  scenarioId: string;
  label: string;
  connections: number;
  raw: CellStats;
  tokenpak: CellStats;
  /** tokenpak req/s ÷ raw req/s (of the medians). */
  ratio: number;
  /** tokenpak p50 − raw p50 (of the medians), ms. */
  addedP50Ms: number;
}

export interface DetectionSummary {
  label: Record<'notInspected' | 'inspected', string>;
  notInspected: CellStats;
  inspected: CellStats;
  /** inspected p50 − not-inspected p50 (of the medians), ms. */
  addedP50Ms: number;
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
  /** For scale: the baseline proxy's peak under the same load. */
  rawPeakBytes: number;
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

function cellStats(records: readonly RunRecord[]): CellStats {
  return {
    requestsPerSecond: median(records.map((record) => record.measurement.requestsPerSecond)),
    p50Ms: median(records.map((record) => record.measurement.p50Ms)),
    p99Ms: median(records.map((record) => record.measurement.p99Ms)),
    repeats: records.length,
  };
}

function measuredCell(records: readonly RunRecord[], proxy: ProxyName, caseId: string, connections: number): CellStats {
  return cellStats(
    records.filter((record) => record.phase === 'measured' && record.proxy === proxy && record.caseId === caseId && record.connections === connections),
  );
}

export function summarizeComparisons(records: readonly RunRecord[]): ComparisonRow[] {
  return COMPARISON_SCENARIOS.flatMap((scenario) =>
    COMPARISON_CONCURRENCIES.map((connections) => {
      const raw = measuredCell(records, 'raw', scenario.id, connections);
      const tokenpak = measuredCell(records, 'tokenpak', scenario.id, connections);
      return {
        scenarioId: scenario.id,
        label: scenario.label,
        connections,
        raw,
        tokenpak,
        ratio: tokenpak.requestsPerSecond / raw.requestsPerSecond,
        addedP50Ms: tokenpak.p50Ms - raw.p50Ms,
      };
    }),
  );
}

export function summarizeDetection(records: readonly RunRecord[]): DetectionSummary {
  const variant = (id: DetectionVariant['id']): DetectionVariant => DETECTION_VARIANTS.find((candidate) => candidate.id === id)!;
  const [notInspectedVariant, inspectedVariant] = [variant('not-inspected'), variant('inspected')];
  const notInspected = measuredCell(records, 'tokenpak', notInspectedVariant.id, DETECTION_CONCURRENCY);
  const inspected = measuredCell(records, 'tokenpak', inspectedVariant.id, DETECTION_CONCURRENCY);
  return {
    label: { notInspected: notInspectedVariant.label, inspected: inspectedVariant.label },
    notInspected,
    inspected,
    addedP50Ms: inspected.p50Ms - notInspected.p50Ms,
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
