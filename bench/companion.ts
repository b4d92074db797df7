import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { benchWarmCompanion, formatWarmReport } from './companion-warm';

/**
 * The companion row of the bench: what TokenPak itself costs per companion request
 * (HTTP in, body parse, session plan, spawn, stdin, stdout parse, Messages JSON / SSE
 * out), measured against running the same instant fake `claude` directly.
 *
 * The fake is a tiny `/bin/sh` script that drains stdin and prints records taken from
 * the real CLI's captures, so the CLI's own cost is a few milliseconds and TokenPak's
 * overhead is what remains. TokenPak runs as users run it (the built CLI, its own
 * process). Target: ≤ 20 ms added at p50.
 *
 * Use: `import { benchCompanion, formatCompanionReport } from './companion'`, then
 * `const result = await benchCompanion(); console.log(formatCompanionReport(result))`.
 * Standalone: `npm run bench:companion` (= `npx jiti bench/companion.ts`, needs `npm run build`
 * first) runs only the companion part: these rows, then the warm turns (companion-warm.ts).
 */

export interface CompanionBenchOptions {
  /** Requests per measured run (default 200). */
  requests?: number;
  /** Concurrency of the throughput runs (default 4, the default companion.maxConcurrent). */
  concurrency?: number;
  /** Unmeasured requests first (default 20). */
  warmup?: number;
}

export interface CompanionBenchRow {
  /** `direct`: the fake run by the bench; `companion json` / `companion stream`: through TokenPak. */
  path: 'direct' | 'companion json' | 'companion stream';
  concurrency: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface CompanionBenchResult {
  rows: CompanionBenchRow[];
  /** p50 at concurrency 1, TokenPak path minus direct. */
  addedP50Ms: { json: number; stream: number };
  targetMs: number;
  pass: boolean;
}

const TARGET_ADDED_P50_MS = 20;
const REPO_ROOT = path.resolve(__dirname, '..');
const CLI_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'tokenpak.js');
const CAPTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'captures', 'claude-code');
const MODEL = 'claude-sonnet-5-5';
const PROMPT = 'say hi';

/** Writes the instant fake CLI: it answers from the captured records, in the format argv asks for. */
function writeInstantFake(dir: string): string {
  const result = JSON.stringify(JSON.parse(readFileSync(path.join(CAPTURES, '01-print-json.stdout'), 'utf8')));
  writeFileSync(path.join(dir, 'result.json'), `${result}\n`);
  writeFileSync(path.join(dir, 'stream.ndjson'), readFileSync(path.join(CAPTURES, '03-print-stream-json-partial.stdout')));
  const script = path.join(dir, 'claude');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'cat >/dev/null',
      'case " $* " in',
      `  *" stream-json "*) exec cat '${path.join(dir, 'stream.ndjson')}' ;;`,
      `  *) exec cat '${path.join(dir, 'result.json')}' ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

/** One direct run of the fake, as the companion invokes it for a non-streaming request. */
function runFakeDirectly(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['--print', '--output-format', 'json', '--model', MODEL], { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      // Parse like the companion does, so the direct path includes the same JSON work.
      if (code === 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (code === 0) resolve();
      else reject(new Error(`the fake exited with ${code}`));
    });
    child.stdin.end(PROMPT);
  });
}

export interface RunningTokenPak {
  url: string;
  stop(): Promise<void>;
}

/**
 * TokenPak as users run it (the built CLI, its own process) with `companion.command`
 * pointed at `command`. `companion` adds to the companion config; `name` keeps several
 * instances' files apart.
 */
export function startTokenPak(
  dir: string,
  command: string,
  concurrency: number,
  companion: Record<string, unknown> = { warm: { max: 0, spare: 0 } },
  name = 'cold',
): Promise<RunningTokenPak> {
  const config = path.join(dir, `tokenpak.${name}.config.json`);
  writeFileSync(
    config,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 1000 },
      log: { level: 'warn' },
      state: { dir: path.join(dir, `state-${name}`) },
      // Fresh CLI sessions: no session lock, so the throughput run is limited by maxConcurrent only.
      // (The instant fake answers once stdin closes: by default this is the cold path, companion.warm.max 0.)
      companion: { command, continue: false, maxConcurrent: concurrency, maxQueue: 1000, ...companion },
    }),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOKENPAK_')));
  const child = spawn(process.execPath, [CLI_BIN, 'start', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`tokenpak did not start:\n${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`tokenpak exited:\n${stderr}`)));
  });
}

/** One companion request through TokenPak; resolves when the whole answer is in. */
function requestCompanion(agent: http.Agent, baseUrl: string, stream: boolean): Promise<void> {
  const body = JSON.stringify({ model: MODEL, max_tokens: 64, stream, messages: [{ role: 'user', content: PROMPT }] });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}/v1/messages`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'anthropic-version': '2023-06-01',
          'x-tokenpak-backend': 'claude-code',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const complete = stream ? text.includes('event: message_stop') : response.statusCode === 200 && text.includes('"type":"message"');
          if (complete) resolve();
          else reject(new Error(`companion answered ${response.statusCode}: ${text.slice(0, 300)}`));
        });
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `count` calls of `once`, `concurrency` at a time; latency per call and overall throughput. */
async function measure(name: CompanionBenchRow['path'], once: () => Promise<void>, count: number, concurrency: number): Promise<CompanionBenchRow> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const t0 = performance.now();
      await once();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { path: name, concurrency, requests: count, requestsPerSecond: count / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

export async function benchCompanion(options: CompanionBenchOptions = {}): Promise<CompanionBenchResult> {
  const requests = options.requests ?? 200;
  const concurrency = options.concurrency ?? 4;
  const warmup = options.warmup ?? 20;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-bench-companion-'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let tokenpak: RunningTokenPak | null = null;
  try {
    const fake = writeInstantFake(dir);
    tokenpak = await startTokenPak(dir, fake, concurrency);
    const { url } = tokenpak;
    const direct = () => runFakeDirectly(fake);
    const json = () => requestCompanion(agent, url, false);
    const stream = () => requestCompanion(agent, url, true);
    for (const once of [direct, json, stream]) for (let i = 0; i < warmup; i++) await once();

    const rows: CompanionBenchRow[] = [];
    // Alternate the paths so drift on a noisy machine hits all of them alike.
    for (const level of [1, concurrency]) {
      rows.push(await measure('direct', direct, requests, level));
      rows.push(await measure('companion json', json, requests, level));
      rows.push(await measure('companion stream', stream, requests, level));
    }
    const at1 = (name: CompanionBenchRow['path']) => rows.find((row) => row.path === name && row.concurrency === 1)!.p50Ms;
    const addedP50Ms = { json: at1('companion json') - at1('direct'), stream: at1('companion stream') - at1('direct') };
    return { rows, addedP50Ms, targetMs: TARGET_ADDED_P50_MS, pass: Math.max(addedP50Ms.json, addedP50Ms.stream) <= TARGET_ADDED_P50_MS };
  } finally {
    await tokenpak?.stop();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A markdown table and the verdict line. */
export function formatCompanionReport(result: CompanionBenchResult): string {
  const lines = [
    '| companion path | concurrency | requests | req/s | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...result.rows.map(
      (row) =>
        `| ${row.path} | ${row.concurrency} | ${row.requests} | ${row.requestsPerSecond.toFixed(0)} | ${row.p50Ms.toFixed(2)} | ${row.p99Ms.toFixed(2)} |`,
    ),
    '',
    `${result.pass ? 'PASS' : 'MISS'} companion overhead: +${result.addedP50Ms.json.toFixed(2)} ms (json), +${result.addedP50Ms.stream.toFixed(2)} ms (stream) at p50 over running the CLI directly (target ≤ ${result.targetMs} ms)`,
  ];
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  // `npm run bench:companion`: only the companion part (cold rows, then warm turns).
  benchCompanion()
    .then(async (result) => {
      process.stdout.write(`${formatCompanionReport(result)}\n\n`);
      const warm = await benchWarmCompanion();
      process.stdout.write(`${formatWarmReport(warm)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`companion bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
}
