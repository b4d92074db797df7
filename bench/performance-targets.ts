import type { LedgerBenchResult } from './ledger';
import type { ComparisonRow, DetectionSummary, RssSummary } from './results';

/** The issue's acceptance targets. Missing one is reported, never fatal: this is a measurement. */
export const PERFORMANCE_TARGETS = {
  /** At concurrency 32, TokenPak req/s ÷ raw pipe req/s (median of per-repeat ratios), in every scenario. */
  minThroughputRatioAtHighConcurrency: 0.85,
  highConcurrency: 32,
  /** At concurrency 1, TokenPak p50 − raw pipe p50 (median of per-repeat differences), in every scenario (ms). */
  maxAddedP50MsAtLowConcurrency: 0.1,
  lowConcurrency: 1,
  /** Peak RSS of the TokenPak process under load (bytes; MiB, as VmRSS and ps report). */
  maxPeakRssBytes: 120 * 1024 * 1024,
  /** Inspected 200 KB OpenClaw body p50 − the same body not inspected (ms). */
  maxDetectionAddedP50Ms: 2,
  /** Ledger on req/s ÷ ledger off req/s (median of per-repeat ratios), in every ledger scenario. */
  minLedgerThroughputRatio: 0.95,
  /** Ledger on p50 − ledger off p50 (ms); shown in the ledger table. */
  maxLedgerAddedP50Ms: 0.2,
  ledgerConcurrency: 32,
} as const;

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

/** What the verdicts are taken from; a part left out (BENCH_ONLY) has no verdict. */
export interface TargetInputs {
  comparisons: readonly ComparisonRow[];
  detection: DetectionSummary | null;
  rss: RssSummary | null;
  ledger: LedgerBenchResult | null;
}

const ms = (value: number): string => `${value.toFixed(3)} ms`;
export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
const count = (value: number | null): string => (value === null ? 'unknown' : value.toLocaleString('en-US'));

function comparisonVerdicts(rows: readonly ComparisonRow[]): Verdict[] {
  if (rows.length === 0) return [];
  const t = PERFORMANCE_TARGETS;
  const high = rows.filter((row) => row.connections === t.highConcurrency);
  const low = rows.filter((row) => row.connections === t.lowConcurrency);
  return [
    {
      target: `throughput at c=${t.highConcurrency}: tokenpak ÷ raw ≥ ${t.minThroughputRatioAtHighConcurrency} in every scenario (median of per-repeat ratios)`,
      measured: high.map((row) => `${row.label} ${row.ratio.median.toFixed(2)}`).join(', '),
      pass: high.every((row) => row.ratio.median >= t.minThroughputRatioAtHighConcurrency),
    },
    {
      target: `latency at c=${t.lowConcurrency}: added p50 ≤ ${t.maxAddedP50MsAtLowConcurrency} ms in every scenario (median of per-repeat differences)`,
      measured: low.map((row) => `${row.label} ${ms(row.addedP50Ms.median)}`).join(', '),
      pass: low.every((row) => row.addedP50Ms.median <= t.maxAddedP50MsAtLowConcurrency),
    },
  ];
}

function rssVerdict(rss: RssSummary): Verdict {
  const t = PERFORMANCE_TARGETS;
  return {
    target: `peak RSS under load ≤ ${mib(t.maxPeakRssBytes)}`,
    measured: `${mib(rss.tokenpakPeakBytes)}${rss.rawPeakBytes === null ? '' : ` (raw pipe, for scale: ${mib(rss.rawPeakBytes)})`}`,
    pass: rss.tokenpakPeakBytes > 0 && rss.tokenpakPeakBytes <= t.maxPeakRssBytes,
  };
}

function ledgerVerdicts(ledger: LedgerBenchResult): Verdict[] {
  const t = PERFORMANCE_TARGETS;
  const rows = ledger.rowAccounting;
  return [
    {
      target: `ledger: on ÷ off ≥ ${t.minLedgerThroughputRatio} in every ledger scenario (c=${t.ledgerConcurrency}, median of per-repeat ratios)`,
      measured: ledger.rows.map((row) => `${row.label} ${row.ratio.median.toFixed(3)}`).join(', '),
      pass: ledger.rows.every((row) => row.ratio.median >= t.minLedgerThroughputRatio),
    },
    {
      target: 'ledger: rows written = requests answered by the ledger-on process (none dropped)',
      measured:
        `${count(rows.rowsWritten)} rows; ${count(rows.answered)} answered + ${count(rows.cutOffAtRunEnd)} cut off at run ends (recorded too); ` +
        `TokenPak counted ${count(rows.handledByTokenPak)}; dropped ${count(rows.dropped)}`,
      pass: rows.complete,
    },
  ];
}

export function evaluateTargets(inputs: TargetInputs): Verdict[] {
  const t = PERFORMANCE_TARGETS;
  const { detection, rss, ledger } = inputs;
  return [
    ...comparisonVerdicts(inputs.comparisons),
    ...(rss ? [rssVerdict(rss)] : []),
    ...(detection
      ? [
          {
            target: `body detection: inspected adds ≤ ${t.maxDetectionAddedP50Ms} ms p50 (median of per-repeat differences)`,
            measured: ms(detection.addedP50Ms.median),
            pass: detection.addedP50Ms.median <= t.maxDetectionAddedP50Ms,
          },
        ]
      : []),
    ...(ledger ? ledgerVerdicts(ledger) : []),
  ];
}
