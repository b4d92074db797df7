/** The bench's parts, in the order they run; BENCH_ONLY (a comma list) picks a subset. */
export const BENCH_PARTS = ['comparison', 'detection', 'ledger', 'companion'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

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
  /** Which parts run (all by default). */
  parts: BenchPart[];
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function benchParts(env: NodeJS.ProcessEnv): BenchPart[] {
  const raw = env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return [...BENCH_PARTS];
  const wanted = raw.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !(BENCH_PARTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown part ${unknown.join(', ')} (parts: ${BENCH_PARTS.join(', ')})`);
  return BENCH_PARTS.filter((part) => wanted.includes(part));
}

export function readBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    runSeconds: positiveNumber(env, 'BENCH_RUN_SECONDS', 5),
    warmupSeconds: positiveNumber(env, 'BENCH_WARMUP_SECONDS', 1),
    repeats: Math.round(positiveNumber(env, 'BENCH_REPEATS', 3)),
    settleMs: 300,
    rssSampleIntervalMs: 200,
    parts: benchParts(env),
  };
}
