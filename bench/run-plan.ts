import type { BenchSettings } from './bench-settings';
import {
  COMPARISON_CONCURRENCIES,
  COMPARISON_SCENARIOS,
  DETECTION_CONCURRENCY,
  DETECTION_VARIANTS,
  PROXIES,
  type ProxyName,
  type RequestShape,
} from './scenarios';

/**
 * The order of runs. Targets alternate run by run (raw, tokenpak, raw, tokenpak…) and
 * every repeat walks all cells again, so slow drift on a noisy machine (thermal, other
 * tenants) hits both proxies alike instead of biasing whichever ran later.
 */

export type RunKind = 'comparison' | 'detection';
export type RunPhase = 'warm-up' | 'measured';

export interface RunStep {
  phase: RunPhase;
  kind: RunKind;
  proxy: ProxyName;
  /** Comparison scenario id or detection variant id. */
  caseId: string;
  request: RequestShape;
  connections: number;
  /** 1-based; 0 for warm-up. */
  repeat: number;
  durationSeconds: number;
}

/** A short load per target and request shape first, so JIT and connection pools are warm before anything counts. */
function warmUpSteps(settings: BenchSettings): RunStep[] {
  const steps: RunStep[] = [];
  const warmUp = { phase: 'warm-up', repeat: 0, durationSeconds: settings.warmupSeconds } as const;
  for (const proxy of settings.parts.includes('comparison') ? PROXIES : []) {
    for (const scenario of COMPARISON_SCENARIOS) {
      steps.push({ ...warmUp, kind: 'comparison', proxy, caseId: scenario.id, request: scenario, connections: Math.max(...COMPARISON_CONCURRENCIES) });
    }
  }
  for (const variant of settings.parts.includes('detection') ? DETECTION_VARIANTS : []) {
    steps.push({ ...warmUp, kind: 'detection', proxy: 'tokenpak', caseId: variant.id, request: variant, connections: DETECTION_CONCURRENCY });
  }
  return steps;
}

function measuredSteps(settings: BenchSettings): RunStep[] {
  const steps: RunStep[] = [];
  for (let repeat = 1; repeat <= settings.repeats; repeat += 1) {
    const measured = { phase: 'measured', repeat, durationSeconds: settings.runSeconds } as const;
    for (const scenario of settings.parts.includes('comparison') ? COMPARISON_SCENARIOS : []) {
      for (const connections of COMPARISON_CONCURRENCIES) {
        for (const proxy of PROXIES) steps.push({ ...measured, kind: 'comparison', proxy, caseId: scenario.id, request: scenario, connections });
      }
    }
    // Detection is TokenPak against itself: the two variants alternate the same way.
    for (const variant of settings.parts.includes('detection') ? DETECTION_VARIANTS : []) {
      steps.push({ ...measured, kind: 'detection', proxy: 'tokenpak', caseId: variant.id, request: variant, connections: DETECTION_CONCURRENCY });
    }
  }
  return steps;
}

export function buildRunPlan(settings: BenchSettings): RunStep[] {
  return [...warmUpSteps(settings), ...measuredSteps(settings)];
}

export function estimatedSeconds(plan: readonly RunStep[], settings: BenchSettings): number {
  return plan.reduce((total, step) => total + step.durationSeconds + settings.settleMs / 1000, 0);
}
