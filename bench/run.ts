import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBenchSettings, type BenchSettings } from './bench-settings';
import { startMockUpstream, startRawPipeProxy } from './bench-servers';
import { repeatedChildStderr, stopAllChildren, stopChildrenOnExit, whenAChildDiesUnexpectedly, type ServerChild } from './child-processes';
import { withCpuPerRequest } from './cpu-per-request';
import { measureLoad } from './measure';
import { evaluateTargets } from './performance-targets';
import { clockTicksPerSecond } from './process-cpu-time';
import { answerProblems, routeFields, sendOnce } from './preflight';
import { formatComparisonReport, formatHealth, formatVerdicts, writeReportJson, type BenchReport } from './report';
import { micros } from './report-format';
import { rssByCase, summarizeComparisons, summarizeDetection, summarizeHealth, type RssSummary, type RunRecord } from './results';
import { RssSampler } from './rss-sampler';
import { benchCompanion, formatCompanionReport, type CompanionBenchResult } from './companion';
import { benchLedger, formatLedgerReport, type LedgerBenchResult } from './ledger';
import { buildRunPlan, estimatedSeconds, type RunStep } from './run-plan';
import { COMPARISON_SCENARIOS, DETECTION_VARIANTS, PROXIES, type ProxyName } from './scenarios';
import { ensureTokenPakBuilt, startTokenPak, writeTokenPakConfig } from './tokenpak-process';

/**
 * `npm run bench`: TokenPak against a raw node:http pipe, both in front of the same mock
 * upstream, each server in its own process, load from autocannon in this one.
 * BENCH_ONLY (comma list of comparison, detection, ledger, companion) runs a subset.
 * Exit code: 0 when everything ran (targets missed or not), 1 when something failed to run.
 */

/** The proxies the selected parts need: raw only for the comparison. */
type Targets = Partial<Record<ProxyName, ServerChild>>;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function targetFor(targets: Targets, proxy: ProxyName): ServerChild {
  const target = targets[proxy];
  if (!target) throw new Error(`the ${proxy} proxy was not started for the selected parts`);
  return target;
}

/** Every target answers every request shape correctly, and TokenPak routes each detection variant as intended. */
async function preflight(targets: Targets, settings: BenchSettings): Promise<string[]> {
  const problems: string[] = [];
  for (const proxy of PROXIES.filter((name) => targets[name])) {
    for (const scenario of COMPARISON_SCENARIOS) {
      const response = await sendOnce(targetFor(targets, proxy).url, scenario);
      problems.push(...answerProblems(scenario, response).map((problem) => `${proxy} ${scenario.id}: ${problem}`));
      if (proxy === 'tokenpak' && !routeFields(response)) problems.push(`tokenpak ${scenario.id}: no x-tokenpak-route header`);
    }
  }
  for (const variant of settings.parts.includes('detection') ? DETECTION_VARIANTS : []) {
    const response = await sendOnce(targetFor(targets, 'tokenpak').url, variant);
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
  const cpu = `CPU ${micros(record.cpu.proxy ?? Number.NaN)} µs/req`;
  return `[${String(index).padStart(2)}/${total}] ${where.padEnd(44)} ${Math.round(m.requestsPerSecond).toString().padStart(6)} req/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms  ${cpu}${health}`;
}

async function runPlan(settings: BenchSettings, mock: ServerChild, targets: Targets, samplers: Map<ProxyName, RssSampler>): Promise<RunRecord[]> {
  const plan = buildRunPlan(settings);
  log(`${plan.length} runs, about ${Math.ceil(estimatedSeconds(plan, settings) / 60)} min`);
  const records: RunRecord[] = [];
  for (const [index, step] of plan.entries()) {
    const target = targetFor(targets, step.proxy);
    const { result: measured, peakBytes: rssPeakBytes } = await samplers.get(step.proxy)!.during(() =>
      withCpuPerRequest(
        { proxyPid: target.pid, upstreamPid: mock.pid },
        () => measureLoad({ baseUrl: target.url, request: step.request, connections: step.connections, durationSeconds: step.durationSeconds }),
        (measurement) => measurement.responses,
      ),
    );
    const { request: _request, ...stepWithoutBody } = step;
    const record: RunRecord = { ...stepWithoutBody, measurement: measured.result, cpu: measured.cpu, rssPeakBytes };
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
    clockTicksPerSecond: existsSync('/proc/self/stat') ? clockTicksPerSecond() : null,
  };
}

/** Other work on the machine skews every number (both proxies compete with it for the same cores): say so up front. */
function warnIfBusy(loadAverage: number): void {
  const cpus = os.cpus().length;
  if (loadAverage > cpus / 2)
    log(`warning: the machine is busy before the bench starts (1-min load average ${loadAverage.toFixed(2)} on ${cpus} CPUs); expect noisy numbers`);
}

interface ProxyBenchResult {
  records: RunRecord[];
  rss: RssSummary;
}

/** The comparison and detection parts: the raw pipe (comparison only) and TokenPak, one run plan. */
async function benchProxies(settings: BenchSettings, mock: ServerChild, tempDir: string): Promise<ProxyBenchResult | null> {
  const withRaw = settings.parts.includes('comparison');
  const [raw, tokenpak] = await Promise.all([
    withRaw ? startRawPipeProxy(mock) : Promise.resolve(undefined),
    startTokenPak(writeTokenPakConfig(tempDir, mock)),
  ]);
  const targets: Targets = { raw, tokenpak };
  log(`raw pipe ${raw ? `${raw.url} (pid ${raw.pid})` : 'not started'}; tokenpak ${tokenpak.url} (pid ${tokenpak.pid})`);

  const samplers = new Map<ProxyName, RssSampler>();
  for (const proxy of PROXIES) {
    const target = targets[proxy];
    if (target) samplers.set(proxy, new RssSampler(target.pid, settings.rssSampleIntervalMs));
  }
  const tokenpakSampler = samplers.get('tokenpak')!;
  const tokenpakIdleBytes = (await tokenpakSampler.sampleOnce()) ?? 0;

  const problems = await preflight(targets, settings);
  if (problems.length > 0) {
    log(`preflight failed, nothing measured:\n  ${problems.join('\n  ')}`);
    return null;
  }
  const records = await runPlan(settings, mock, targets, samplers);
  return {
    records,
    rss: {
      tokenpakIdleBytes,
      tokenpakPeakBytes: tokenpakSampler.peakBytes,
      tokenpakSamples: tokenpakSampler.sampleCount,
      rawPeakBytes: samplers.get('raw')?.peakBytes ?? null,
      byCase: rssByCase(records),
    },
  };
}

async function main(tempDir: string): Promise<number> {
  const settings = readBenchSettings();
  const { parts } = settings;
  const loadAverageAtStart = os.loadavg()[0]!;
  log(`parts: ${parts.join(', ')}`);
  warnIfBusy(loadAverageAtStart);
  const needsTokenPak = parts.some((part) => part !== 'companion');
  if (needsTokenPak) ensureTokenPakBuilt();

  const mock = needsTokenPak ? await startMockUpstream() : null;
  if (mock) log(`mock upstream ${mock.url} (pid ${mock.pid})`);

  let proxies: ProxyBenchResult | null = null;
  if (mock && (parts.includes('comparison') || parts.includes('detection'))) {
    proxies = await benchProxies(settings, mock, tempDir);
    if (!proxies) return 1;
  }
  const records = proxies?.records ?? [];
  const comparisons = summarizeComparisons(records);
  const detection = summarizeDetection(records);
  const health = summarizeHealth(records);
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    environment: environment(loadAverageAtStart),
    settings,
    comparisons,
    detection,
    rss: proxies?.rss ?? null,
    ledger: null,
    companion: null,
    verdicts: [],
    health,
    runs: records,
  };
  for (const { line, count } of repeatedChildStderr()) log(`${count}× ${line}`);
  if (proxies) process.stdout.write(`\n${formatComparisonReport(report)}\n`);

  let ledger: LedgerBenchResult | null = null;
  if (mock && parts.includes('ledger')) {
    // The main comparison runs TokenPak with its defaults (ledger on); this part isolates what the ledger costs.
    log('ledger on vs off…');
    ledger = await benchLedger({ mock, tempDir, settings, log });
    process.stdout.write(`\n${formatLedgerReport(ledger, settings)}\n`);
  }

  let companion: CompanionBenchResult | null = null;
  if (parts.includes('companion')) {
    log('companion vs running the CLI directly…');
    companion = await benchCompanion();
    process.stdout.write(`\n### Companion overhead (fake \`claude\` that answers at once)\n\n${formatCompanionReport(companion)}\n`);
  }

  const finished: BenchReport = { ...report, ledger, companion, verdicts: evaluateTargets({ comparisons, detection, rss: report.rss, ledger }) };
  process.stdout.write(`\n${formatVerdicts(finished.verdicts)}\n\n${proxies ? `${formatHealth(health)}\n\n` : ''}`);
  process.stdout.write(`Results written to ${path.relative(process.cwd(), writeReportJson(finished))}\n`);

  const failed = health.failedRuns.length > 0 || (ledger?.failedRuns ?? 0) > 0;
  if (failed) log('bench FAILED: some runs got non-2xx responses or errors (see Run health and the ledger section)');
  return failed ? 1 : 0;
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
