import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBenchSettings, type BenchSettings } from './bench-settings';
import { startMockUpstream, startRawPipeProxy } from './bench-servers';
import { repeatedChildStderr, stopAllChildren, stopChildrenOnExit, whenAChildDiesUnexpectedly, type ServerChild } from './child-processes';
import { measureLoad } from './measure';
import { evaluateTargets } from './performance-targets';
import { answerProblems, routeFields, sendOnce } from './preflight';
import { formatReport, writeReportJson, type BenchReport } from './report';
import { rssByCase, summarizeComparisons, summarizeDetection, summarizeHealth, type RssSummary, type RunRecord } from './results';
import { RssSampler } from './rss-sampler';
import { benchCompanion, formatCompanionReport } from './companion';
import { benchLedger } from './ledger';
import { buildRunPlan, estimatedSeconds, type RunStep } from './run-plan';
import { COMPARISON_SCENARIOS, DETECTION_VARIANTS, PROXIES, type ProxyName } from './scenarios';
import { ensureTokenPakBuilt, startTokenPak, writeTokenPakConfig } from './tokenpak-process';

/**
 * `npm run bench`: TokenPak against a raw node:http pipe, both in front of the same mock
 * upstream, each server in its own process, load from autocannon in this one.
 * Exit code: 0 when everything ran (targets missed or not), 1 when something failed to run.
 */

type Targets = Record<ProxyName, ServerChild>;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every target answers every request shape correctly, and TokenPak routes each detection variant as intended. */
async function preflight(targets: Targets): Promise<string[]> {
  const problems: string[] = [];
  for (const proxy of PROXIES) {
    for (const scenario of COMPARISON_SCENARIOS) {
      const response = await sendOnce(targets[proxy].url, scenario);
      problems.push(...answerProblems(scenario, response).map((problem) => `${proxy} ${scenario.id}: ${problem}`));
      if (proxy === 'tokenpak' && !routeFields(response)) problems.push(`tokenpak ${scenario.id}: no x-tokenpak-route header`);
    }
  }
  for (const variant of DETECTION_VARIANTS) {
    const response = await sendOnce(targets.tokenpak.url, variant);
    problems.push(...answerProblems(variant, response).map((problem) => `tokenpak ${variant.id}: ${problem}`));
    const route = routeFields(response);
    const { platform, session } = variant.expectedRoute;
    if (route?.platform !== platform || route.session !== session) {
      problems.push(
        `tokenpak ${variant.id}: expected platform=${platform}; session=${session}, got x-tokenpak-route: ${String(response.headers['x-tokenpak-route'])}`,
      );
    }
  }
  return problems;
}

function describeRun(index: number, total: number, step: RunStep, record: RunRecord): string {
  const { measurement: m } = record;
  const where = `${step.phase === 'warm-up' ? 'warm-up' : `repeat ${step.repeat}`} ${step.caseId} c=${step.connections} ${step.proxy}`;
  const health = m.non2xx || m.errors ? `  non-2xx ${m.non2xx} errors ${m.errors}` : '';
  return `[${String(index).padStart(2)}/${total}] ${where.padEnd(44)} ${Math.round(m.requestsPerSecond).toString().padStart(6)} req/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms${health}`;
}

async function runPlan(settings: BenchSettings, targets: Targets, samplers: Record<ProxyName, RssSampler>): Promise<RunRecord[]> {
  const plan = buildRunPlan(settings);
  log(`${plan.length} runs, about ${Math.ceil(estimatedSeconds(plan, settings) / 60)} min`);
  const records: RunRecord[] = [];
  for (const [index, step] of plan.entries()) {
    const { result: measurement, peakBytes: rssPeakBytes } = await samplers[step.proxy].during(() =>
      measureLoad({ baseUrl: targets[step.proxy].url, request: step.request, connections: step.connections, durationSeconds: step.durationSeconds }),
    );
    const { request: _request, ...stepWithoutBody } = step;
    const record: RunRecord = { ...stepWithoutBody, measurement, rssPeakBytes };
    records.push(record);
    log(describeRun(index + 1, plan.length, step, record));
    await sleep(settings.settleMs);
  }
  return records;
}

function environment(loadAverageAtStart: number): BenchReport['environment'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    loadAverageAtStart,
  };
}

/** Other work on the machine skews every number (both proxies compete with it for the same cores): say so up front. */
function warnIfBusy(loadAverage: number): void {
  const cpus = os.cpus().length;
  if (loadAverage > cpus / 2)
    log(`warning: the machine is busy before the bench starts (1-min load average ${loadAverage.toFixed(2)} on ${cpus} CPUs); expect noisy numbers`);
}

async function main(tempDir: string): Promise<number> {
  const settings = readBenchSettings();
  const loadAverageAtStart = os.loadavg()[0]!;
  warnIfBusy(loadAverageAtStart);
  ensureTokenPakBuilt();

  const mock = await startMockUpstream();
  const [raw, tokenpak] = await Promise.all([startRawPipeProxy(mock), startTokenPak(writeTokenPakConfig(tempDir, mock))]);
  const targets: Targets = { raw, tokenpak };
  log(`mock upstream ${mock.url} (pid ${mock.pid}); raw pipe ${raw.url} (pid ${raw.pid}); tokenpak ${tokenpak.url} (pid ${tokenpak.pid})`);

  const samplers: Record<ProxyName, RssSampler> = {
    raw: new RssSampler(raw.pid, settings.rssSampleIntervalMs),
    tokenpak: new RssSampler(tokenpak.pid, settings.rssSampleIntervalMs),
  };
  const tokenpakIdleBytes = (await samplers.tokenpak.sampleOnce()) ?? 0;

  const problems = await preflight(targets);
  if (problems.length > 0) {
    log(`preflight failed, nothing measured:\n  ${problems.join('\n  ')}`);
    return 1;
  }

  const records = await runPlan(settings, targets, samplers);
  const comparisons = summarizeComparisons(records);
  const detection = summarizeDetection(records);
  const rss: RssSummary = {
    tokenpakIdleBytes,
    tokenpakPeakBytes: samplers.tokenpak.peakBytes,
    tokenpakSamples: samplers.tokenpak.sampleCount,
    rawPeakBytes: samplers.raw.peakBytes,
    byCase: rssByCase(records),
  };
  const health = summarizeHealth(records);
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    environment: environment(loadAverageAtStart),
    settings,
    comparisons,
    detection,
    rss,
    verdicts: evaluateTargets(comparisons, detection, rss),
    health,
    runs: records,
  };

  for (const { line, count } of repeatedChildStderr()) log(`${count}× ${line}`);
  process.stdout.write(`\n${formatReport(report)}\n\n`);
  process.stdout.write(`Results written to ${path.relative(process.cwd(), writeReportJson(report))}\n`);

  // The main comparison runs TokenPak with its defaults (ledger on); this row isolates what the ledger costs.
  log('ledger on vs off…');
  const ledger = await benchLedger({ mock, tempDir, settings, log });
  process.stdout.write(`\n${ledger.report}\n`);

  log('companion vs running the CLI directly…');
  const companion = await benchCompanion();
  process.stdout.write(`\n### Companion overhead (fake \`claude\` that answers at once)\n\n${formatCompanionReport(companion)}\n`);
  if (health.failedRuns.length > 0) log('bench FAILED: some runs got non-2xx responses or errors (see Run health)');
  return health.failedRuns.length > 0 ? 1 : 0;
}

const tempDir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-bench-'));
stopChildrenOnExit(() => rmSync(tempDir, { recursive: true, force: true }));
whenAChildDiesUnexpectedly((name, detail) => {
  log(`${name} ${detail}\nbench FAILED: a server died mid-run`);
  void stopAllChildren().finally(() => process.exit(1));
});

void main(tempDir)
  .catch((error: unknown) => {
    log(`bench FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await stopAllChildren();
    process.exit(code);
  });
