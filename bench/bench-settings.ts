/**
 * How long and how often to measure. Defaults fit the brief: every cell at least three
 * times (the machine is noisy), a few seconds per run, about seven minutes in all (ledger and companion parts included).
 * Environment overrides exist for quick local checks (e.g. BENCH_RUN_SECONDS=1 BENCH_REPEATS=1).
 */
export interface BenchSettings {
  runSeconds: number;
  warmupSeconds: number;
  repeats: number;
  /** Pause between runs, so one run's connection teardown does not land in the next. */
  settleMs: number;
  rssSampleIntervalMs: number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function readBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    runSeconds: positiveNumber(env, 'BENCH_RUN_SECONDS', 5),
    warmupSeconds: positiveNumber(env, 'BENCH_WARMUP_SECONDS', 1),
    repeats: Math.round(positiveNumber(env, 'BENCH_REPEATS', 3)),
    settleMs: 300,
    rssSampleIntervalMs: 200,
  };
}
