import type { ComparisonRow, DetectionSummary, RssSummary } from './results';

/** The acceptance targets. Missing one is reported, never fatal: this is a measurement. */
export const PERFORMANCE_TARGETS = {
  /** At concurrency 32, TokenPak req/s ÷ raw pipe req/s, in every scenario. */
  minThroughputRatioAtHighConcurrency: 0.85,
  highConcurrency: 32,
  /** At concurrency 1, TokenPak p50 − raw pipe p50, in every scenario (ms). */
  maxAddedP50MsAtLowConcurrency: 0.1,
  lowConcurrency: 1,
  /** Peak RSS of the TokenPak process under load (bytes; MiB, as VmRSS and ps report). */
  maxPeakRssBytes: 120 * 1024 * 1024,
  /** Inspected 200 KB OpenClaw body p50 − the same body not inspected (ms). */
  maxDetectionAddedP50Ms: 2,
} as const;

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

const ms = (value: number): string => `${value.toFixed(3)} ms`;
export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

export function evaluateTargets(rows: readonly ComparisonRow[], detection: DetectionSummary, rss: RssSummary): Verdict[] {
  const t = PERFORMANCE_TARGETS;
  const high = rows.filter((row) => row.connections === t.highConcurrency);
  const low = rows.filter((row) => row.connections === t.lowConcurrency);
  return [
    {
      target: `throughput at c=${t.highConcurrency}: tokenpak ÷ raw ≥ ${t.minThroughputRatioAtHighConcurrency} in every scenario`,
      measured: high.map((row) => `${row.label} ${row.ratio.toFixed(2)}`).join(', '),
      pass: high.every((row) => row.ratio >= t.minThroughputRatioAtHighConcurrency),
    },
    {
      target: `latency at c=${t.lowConcurrency}: added p50 ≤ ${t.maxAddedP50MsAtLowConcurrency} ms in every scenario`,
      measured: low.map((row) => `${row.label} ${ms(row.addedP50Ms)}`).join(', '),
      pass: low.every((row) => row.addedP50Ms <= t.maxAddedP50MsAtLowConcurrency),
    },
    {
      target: `peak RSS under load < ${mib(t.maxPeakRssBytes)}`,
      measured: mib(rss.tokenpakPeakBytes),
      pass: rss.tokenpakPeakBytes > 0 && rss.tokenpakPeakBytes < t.maxPeakRssBytes,
    },
    {
      target: `body detection: inspected adds ≤ ${t.maxDetectionAddedP50Ms} ms p50`,
      measured: ms(detection.addedP50Ms),
      pass: detection.addedP50Ms <= t.maxDetectionAddedP50Ms,
    },
  ];
}
