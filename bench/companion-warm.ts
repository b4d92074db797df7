import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createFakeClaude } from '../test/companion/support/fake-claude';
import { startMockUpstream } from './bench-servers';
import { stopAllChildren } from './child-processes';
import { startTokenPak, type RunningTokenPak } from './companion';

/**
 * Warm companion turns (ARCHITECTURE §2.6.1): what a turn costs through TokenPak when
 * the conversation's CLI is already running, against the CLI's own answer time in the
 * same streaming-input mode; and what a cold turn (a CLI started for it) and a turn on
 * the spare process cost.
 *
 * The CLI is the test fake (test/companion/support/fake-claude.ts) given a start-up
 * delay like the real CLI's (~1.5 s, `BENCH_CLAUDE_STARTUP_MS`), or the real CLI when
 * `TOKENPAK_BENCH_CLAUDE=<path>` is set: it then answers from a loopback mock model
 * (the bench's mock upstream) through a wrapper that sets `ANTHROPIC_BASE_URL` and a
 * fake key (TokenPak gives the CLI a clean environment, so the wrapper adds them back).
 * Run the real-CLI variant inside a network namespace with only loopback, e.g.
 * `unshare -rn sh -c 'ip link set lo up && TOKENPAK_BENCH_CLAUDE=… npx jiti bench/companion.ts'`.
 *
 * Target: a warm turn adds ≤ 50 ms at p50 over the CLI's own answer time.
 */

export interface WarmBenchRow {
  path: string;
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

export interface WarmBenchResult {
  cli: string;
  startupMs: number | null;
  rows: WarmBenchRow[];
  /** p50 of a warm turn through TokenPak minus the CLI's own warm turn. */
  addedP50Ms: { json: number; stream: number };
  /** Resident memory of one idle warm CLI (KiB), from /proc. */
  idleRssKiB: number | null;
  targetMs: number;
  pass: boolean;
}

const TARGET_ADDED_P50_MS = 50;
const MODEL = 'claude-sonnet-5-5';
const WARM_ARGS = ['--print', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--tools', ''];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function row(name: string, latencies: number[]): WarmBenchRow {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { path: name, requests: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

function residentKiB(pid: number | undefined): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const userLine = (text: string): string =>
  `${JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'text', text }] }, parent_tool_use_id: null, session_id: '' })}\n`;

/** The CLI kept running by the bench itself: each turn is one line in, up to its result record. */
class DirectWarmCli {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private buffered = '';
  private onResult: (() => void) | null = null;

  constructor(command: string, cwd: string) {
    this.child = spawn(command, WARM_ARGS, { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let newline;
      while ((newline = this.buffered.indexOf('\n')) !== -1) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        // Parse every record, as TokenPak does.
        const record = JSON.parse(line) as { type: string };
        if (record.type === 'result') this.onResult?.();
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  turn(text: string): Promise<number> {
    const started = performance.now();
    return new Promise((resolve) => {
      this.onResult = () => {
        this.onResult = null;
        resolve(performance.now() - started);
      };
      this.child.stdin.write(userLine(text));
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
    await exited;
  }
}

/** One companion request; resolves with its latency (ms) once the whole answer is in. */
function request(
  agent: http.Agent,
  url: string,
  sessionId: string,
  messages: unknown[],
  stream: boolean,
  model: string | null = MODEL,
): Promise<{ ms: number; text: string; served: string }> {
  const body = JSON.stringify({ ...(model ? { model } : {}), max_tokens: 64, stream, messages });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      `${url}/v1/messages`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'anthropic-version': '2023-06-01',
          'x-openclaw-session': sessionId,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const ms = performance.now() - started;
          const served = String(response.headers['x-tokenpak-companion'] ?? '');
          if (response.statusCode !== 200) return reject(new Error(`companion answered ${response.statusCode}: ${raw.slice(0, 300)}`));
          if (!stream)
            return resolve({ ms, served, text: (JSON.parse(raw) as { content: Array<{ text?: string }> }).content.map((block) => block.text ?? '').join('') });
          if (!raw.includes('event: message_stop')) return reject(new Error(`incomplete stream: ${raw.slice(-300)}`));
          const text = [...raw.matchAll(/"text_delta","text":("(?:[^"\\]|\\.)*")/g)].map((match) => JSON.parse(match[1]!) as string).join('');
          resolve({ ms, served, text });
        });
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/** A conversation through TokenPak, `turns` turns long; latencies of turns 2… (turn 1 starts the CLI). */
async function conversation(agent: http.Agent, url: string, sessionId: string, turns: number, stream: boolean): Promise<{ first: number; later: number[] }> {
  const messages: unknown[] = [];
  let first = 0;
  const later: number[] = [];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: `turn ${i + 1}: say hi` });
    const answer = await request(agent, url, sessionId, messages, stream);
    if (i > 0 && answer.served !== 'warm') throw new Error(`turn ${i + 1} was not served warm: ${answer.served}`);
    messages.push({ role: 'assistant', content: answer.text });
    if (i === 0) first = answer.ms;
    else later.push(answer.ms);
  }
  return { first, later };
}

/** The real CLI through a wrapper that points it at the mock model (TokenPak strips these from its environment). */
function realCliWrapper(dir: string, realCli: string, mockUrl: string): string {
  const wrapper = path.join(dir, 'claude-wrapper');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `export HOME='${path.join(dir, 'home')}'`,
      `export ANTHROPIC_BASE_URL='${mockUrl}'`,
      "export ANTHROPIC_API_KEY='sk-ant-api03-fake'",
      'export DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
      `exec '${realCli}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}

export async function benchWarmCompanion(options: { turns?: number; coldRuns?: number } = {}): Promise<WarmBenchResult> {
  const turns = options.turns ?? 30;
  const coldRuns = options.coldRuns ?? 4;
  const realCli = process.env.TOKENPAK_BENCH_CLAUDE;
  const startupMs = realCli ? null : Number(process.env.BENCH_CLAUDE_STARTUP_MS ?? 1500);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tokenpak-bench-warm-'));
  const fake = realCli ? null : createFakeClaude();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const servers: RunningTokenPak[] = [];
  try {
    let command: string;
    if (realCli) {
      const mock = await startMockUpstream();
      command = realCliWrapper(dir, realCli, mock.url);
    } else {
      fake!.setControl({ startupMs: startupMs!, text: 'Hello from mock' });
      command = fake!.command;
    }
    const rows: WarmBenchRow[] = [];

    // The CLI on its own: one process, `turns` lines; and fresh processes (boot included).
    const direct = new DirectWarmCli(command, dir);
    const directFirst = await direct.turn('turn 1: say hi');
    const directLater: number[] = [];
    for (let i = 1; i < turns; i++) directLater.push(await direct.turn(`turn ${i + 1}: say hi`));
    await sleep(300);
    const idleRssKiB = residentKiB(direct.pid);
    await direct.stop();
    rows.push(row('cli alone, warm turn (2…)', directLater));
    rows.push(row('cli alone, first turn (boot)', [directFirst]));

    // Through TokenPak: warm conversations (JSON and SSE), no spare.
    const warm = await startTokenPak(dir, command, 4, { warm: { max: 4, spare: 0 } }, 'warm');
    servers.push(warm);
    const json = await conversation(agent, warm.url, 'bench-json', turns, false);
    const stream = await conversation(agent, warm.url, 'bench-stream', turns, true);
    rows.push(row('tokenpak json, warm turn (2…)', json.later));
    rows.push(row('tokenpak stream, warm turn (2…)', stream.later));
    const cold: number[] = [];
    for (let i = 0; i < coldRuns; i++) cold.push((await request(agent, warm.url, `bench-cold-${i}`, [{ role: 'user', content: 'say hi' }], false)).ms);
    rows.push(row('tokenpak json, new conversation (CLI boots)', cold));
    await warm.stop();
    servers.pop();

    // With the spare: a new conversation on the default model takes a CLI that already booted.
    const spare = await startTokenPak(dir, command, 4, { warm: { max: 4, spare: 1 } }, 'spare');
    servers.push(spare);
    await request(agent, spare.url, 'bench-spare-prime', [{ role: 'user', content: 'say hi' }], false, null); // starts the spare
    const spared: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      await sleep((startupMs ?? 2000) + 500); // let the spare boot, as idle time between conversations does
      const answer = await request(agent, spare.url, `bench-spare-${i}`, [{ role: 'user', content: 'say hi' }], false, null);
      if (!answer.served.startsWith('cold (spare')) throw new Error(`the spare was not used: ${answer.served}`);
      spared.push(answer.ms);
    }
    rows.push(row('tokenpak json, new conversation on the spare', spared));
    await spare.stop();
    servers.pop();

    const p50 = (name: string): number => rows.find((r) => r.path === name)!.p50Ms;
    const addedP50Ms = {
      json: p50('tokenpak json, warm turn (2…)') - p50('cli alone, warm turn (2…)'),
      stream: p50('tokenpak stream, warm turn (2…)') - p50('cli alone, warm turn (2…)'),
    };
    return {
      cli: realCli ? `real CLI ${realCli}` : `fake CLI, start-up ${startupMs} ms`,
      startupMs,
      rows,
      addedP50Ms,
      idleRssKiB,
      targetMs: TARGET_ADDED_P50_MS,
      pass: Math.max(addedP50Ms.json, addedP50Ms.stream) <= TARGET_ADDED_P50_MS,
    };
  } finally {
    for (const server of servers) await server.stop();
    agent.destroy();
    if (realCli) await stopAllChildren();
    fake?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatWarmReport(result: WarmBenchResult): string {
  return [
    `CLI: ${result.cli}`,
    '',
    '| path | turns | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: |',
    ...result.rows.map((r) => `| ${r.path} | ${r.requests} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} |`),
    '',
    `idle warm CLI resident memory: ${result.idleRssKiB === null ? 'n/a' : `${(result.idleRssKiB / 1024).toFixed(1)} MiB`}`,
    `${result.pass ? 'PASS' : 'MISS'} warm turn overhead: +${result.addedP50Ms.json.toFixed(1)} ms (json), +${result.addedP50Ms.stream.toFixed(1)} ms (stream) at p50 over the CLI's own warm turn (target ≤ ${result.targetMs} ms)`,
  ].join('\n');
}
