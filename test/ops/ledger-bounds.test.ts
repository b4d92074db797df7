import Anthropic from '@anthropic-ai/sdk';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCli, type CliServer } from '../support/cli-process';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { upstreamsAt } from '../support/proxy-harness';
import { within } from '../support/stream-helpers';
import { makeTempDir } from '../support/temp-dir';

/**
 * A config module that, when TokenPak loads it, makes the ledger's worker thread do what a
 * stalled network filesystem does to it: `stall: "open"` blocks the thread in a real system
 * call (`open()` of a FIFO nobody writes, which no signal or terminate() interrupts), the way
 * `mkdir` on a hung mount does; `stall: "queries"` lets the worker open the file but drops
 * every query sent to it. Only the thread named `tokenpak-ledger` is affected.
 */
function stallingConfig(stall: 'open' | 'queries', fifo: string, config: object): string {
  return `
const workerThreads = require('node:worker_threads');
const Real = workerThreads.Worker;
workerThreads.Worker = class extends Real {
  constructor(code, options) {
    if (options && options.name === 'tokenpak-ledger' && ${JSON.stringify(stall)} === 'open') {
      super("require('node:fs').readFileSync(" + JSON.stringify(${JSON.stringify(fifo)}) + ")", { ...options, eval: true });
    } else {
      super(code, options);
    }
  }
  postMessage(message, transfer) {
    if (${JSON.stringify(stall)} === 'queries' && message && message.kind === 'query') return;
    return super.postMessage(message, transfer);
  }
};
module.exports = ${JSON.stringify(config)};
`;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** ARCHITECTURE §7: the ledger worker's start and queries are bounded (2 s); proxying and shutdown never wait for it. */
describe('ledger bounds (child process, stalled ledger worker)', () => {
  let upstream: MockUpstream;
  const temp = makeTempDir('tokenpak-ledger-stall-');
  const running: CliServer[] = [];

  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    for (const cli of running) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await upstream?.close();
    temp.cleanup();
  });

  async function start(stall: 'open' | 'queries'): Promise<{ cli: CliServer; exited: Promise<Exit>; stateDir: string }> {
    const dir = path.join(temp.dir, stall);
    const stateDir = path.join(dir, 'state');
    const fifo = path.join(dir, 'stalled-mount');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mkfifo', [fifo]);
    const configPath = path.join(dir, 'tokenpak.config.cjs');
    writeFileSync(
      configPath,
      stallingConfig(stall, fifo, {
        server: { port: 0, shutdownTimeoutMs: 2000 },
        state: { dir: stateDir },
        providers: upstreamsAt(upstream.url),
        log: { level: 'info' },
      }),
    );
    const cli = await startCli(['--config', configPath], { cwd: dir, env: { HOME: dir } });
    running.push(cli);
    const exited = new Promise<Exit>((resolve) => {
      if (cli.child.exitCode !== null || cli.child.signalCode !== null) resolve({ code: cli.child.exitCode, signal: cli.child.signalCode });
      cli.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    return { cli, exited, stateDir };
  }

  test('worker stuck opening the file: requests are proxied, the ledger endpoints answer 503 within ~2 s, status says unavailable, SIGTERM ends the process', async () => {
    const { cli, exited, stateDir } = await start('open');
    const client = new Anthropic({ apiKey: 'sk-ant-api03-ledger-stall', baseURL: cli.url, maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.type).toBe('message');

    const askedAt = Date.now();
    const requests = await fetch(`${cli.url}/tokenpak/requests`);
    expect(Date.now() - askedAt).toBeLessThan(2000 + 3000);
    expect(requests.status).toBe(503);
    expect(requests.headers.get('x-tokenpak-error')).toBe('1');
    expect(await requests.json()).toMatchObject({ type: 'error', error: { type: 'ledger_unavailable', message: expect.stringMatching(/unavailable/) } });
    for (const endpoint of ['stats', 'events']) {
      const response = await fetch(`${cli.url}/tokenpak/${endpoint}`);
      expect(response.status).toBe(503);
      await response.body?.cancel();
    }

    const status = (await (await fetch(`${cli.url}/tokenpak/status`)).json()) as { ledger: { state: string; queued: number; dropped: number } };
    expect(status.ledger).toMatchObject({ state: 'unavailable', queued: 1, dropped: 0 });
    expect(cli.stderr()).toMatch(/the request ledger is unavailable/);

    // Still proxying after the ledger was declared unavailable.
    await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'again' }] });
    expect(upstream.requests.length).toBeGreaterThanOrEqual(2);

    cli.child.kill('SIGTERM');
    const exit = await within(exited, 2000 + 15_000, 'the process to exit after SIGTERM');
    // Either a clean 0, or the signal's own default action once the thread could not be joined.
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(cli.stderr()).toMatch(/2 ledger row\(s\) not written/);
    expect(existsSync(path.join(stateDir, 'tokenpak.pid'))).toBe(false);
  }, 60_000);

  test('the pid file on a stalled path: start warns and serves anyway, SIGTERM still ends the process', async () => {
    const dir = path.join(temp.dir, 'pid-stall');
    const stateDir = path.join(dir, 'state');
    execFileSync('mkdir', ['-p', stateDir]);
    // Reading it blocks in open() until a writer appears, as a file on a hung mount does.
    execFileSync('mkfifo', [path.join(stateDir, 'tokenpak.pid')]);
    const configPath = path.join(dir, 'tokenpak.config.json');
    writeFileSync(configPath, JSON.stringify({ server: { port: 0, shutdownTimeoutMs: 2000 }, state: { dir: stateDir }, providers: upstreamsAt(upstream.url) }));
    const cli = await startCli(['--config', configPath], { cwd: dir, env: { HOME: dir } });
    running.push(cli);
    const exited = new Promise<Exit>((resolve) => cli.child.once('exit', (code, signal) => resolve({ code, signal })));
    expect(cli.stderr()).toMatch(/could not write the pid file .*did not finish within 2000 ms/);
    const client = new Anthropic({ apiKey: 'sk-ant-api03-pid-stall', baseURL: cli.url, maxRetries: 0 });
    expect((await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })).type).toBe('message');
    cli.child.kill('SIGTERM');
    const exit = await within(exited, 15_000, 'the process to exit after SIGTERM');
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
  }, 60_000);

  test('worker open but not answering: each query gives up after ~2 s with 503, proxying goes on, SIGTERM exits 0', async () => {
    const { cli, exited } = await start('queries');
    const askedAt = Date.now();
    const requests = await fetch(`${cli.url}/tokenpak/requests`);
    const waited = Date.now() - askedAt;
    expect(requests.status).toBe(503);
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(waited).toBeLessThan(2000 + 3000);
    expect(await requests.json()).toMatchObject({ error: { type: 'ledger_unavailable', message: expect.stringMatching(/did not answer within 2000 ms/) } });

    const client = new Anthropic({ apiKey: 'sk-ant-api03-ledger-stall', baseURL: cli.url, maxRetries: 0 });
    expect((await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })).type).toBe('message');

    cli.child.kill('SIGTERM');
    expect(await within(exited, 15_000, 'the process to exit after SIGTERM')).toEqual({ code: 0, signal: null });
  }, 60_000);
});
