import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { anthropicSse } from '../support/canned-responses';
import { startCliProxy, type CliProxy } from '../support/cli-proxy';
import { runCli } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { upstreamsAt } from '../support/proxy-harness';
import { createLatch, holdingSseHandler, streamRequest, tryConnect, within, type Latch, type StreamedResponse } from '../support/stream-helpers';
import { makeTempDir } from '../support/temp-dir';

const SSE_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-cli' };
const SSE_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `tokenpak start` as users run it: the built CLI in a child process. */
describe('tokenpak start (child process)', () => {
  let upstream: MockUpstream;
  const running: CliProxy[] = [];
  const latches: Latch[] = [];
  const streams: StreamedResponse[] = [];

  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    latches.forEach((latch) => latch.open());
    streams.forEach((stream) => stream.destroy());
    for (const proxy of running) await proxy.stop();
    await upstream?.close();
  });

  async function start(server: { shutdownTimeoutMs?: number } = {}): Promise<CliProxy> {
    const proxy = await startCliProxy({ providers: upstreamsAt(upstream.url), server });
    running.push(proxy);
    return proxy;
  }

  async function openHeldStream(proxy: CliProxy): Promise<{ latch: Latch; stream: StreamedResponse; events: string[] }> {
    const latch = createLatch();
    latches.push(latch);
    const events = anthropicSse();
    upstream.setHandler(holdingSseHandler(events, latch, 1));
    const stream = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: SSE_HEADERS, body: SSE_BODY });
    streams.push(stream);
    expect(stream.status).toBe(200);
    await stream.waitFor((received) => received.includes(events[0]!));
    return { latch, stream, events };
  }

  test('prints the URL, the loaded plugins and the two export lines, and serves', async () => {
    const proxy = await start();
    await waitUntil(() => proxy.cli.stdout().includes('OPENAI_BASE_URL'), 5000, 'the export lines');
    const stdout = proxy.cli.stdout();
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout).toContain(`listening on ${proxy.url}`);
    const pluginsLine = stdout.split('\n').find((line) => line.startsWith('plugins:'));
    expect(pluginsLine).toMatch(/\bcodex\b/);
    expect(pluginsLine).toMatch(/\bopenclaw\b/);
    expect(pluginsLine).not.toMatch(/failed/);
    expect(stdout).toMatch(new RegExp(`^\\s*export ANTHROPIC_BASE_URL=${escapeRegExp(proxy.url)}\\s*$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^\\s*export OPENAI_BASE_URL=${escapeRegExp(proxy.url)}/v1\\s*$`, 'm'));

    const health = await rawRequest(`${proxy.url}/tokenpak/health`);
    expect(health.status).toBe(200);
    expect(await proxy.cli.stop('SIGTERM')).toBe(0);
  });

  test('SIGTERM with an SSE response in flight: new connections are refused, the stream still completes, exit 0', async () => {
    const proxy = await start({ shutdownTimeoutMs: 15_000 });
    const port = Number(new URL(proxy.url).port);
    const { latch, stream, events } = await openHeldStream(proxy);
    let streamEnded = false;
    void stream.done.then(() => (streamEnded = true));

    const exited = proxy.cli.stop('SIGTERM');
    await waitUntil(async () => (await tryConnect(port)) === 'ECONNREFUSED', 5000, 'the listener to close');
    expect(streamEnded).toBe(false);
    expect(proxy.cli.child.exitCode).toBeNull();

    latch.open();
    const outcome = await within(stream.done, 5000, 'the in-flight stream to finish');
    expect(outcome.complete).toBe(true);
    expect(outcome.body.toString('utf8')).toBe(events.join(''));
    expect(await within(exited, 5000, 'the process to exit')).toBe(0);
  });

  test('with server.shutdownTimeoutMs 500 and a stream that never finishes, the process still exits 0 shortly after the timeout', async () => {
    const proxy = await start({ shutdownTimeoutMs: 500 });
    const { stream } = await openHeldStream(proxy);
    const signalledAt = Date.now();
    const code = await within(proxy.cli.stop('SIGTERM'), 5000, 'the process to exit');
    const elapsed = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(500 + 2500);
    // The cut-off stream must not look like a clean, complete answer.
    const outcome = await within(stream.done, 5000, 'the cut-off stream to end');
    expect(outcome.complete === false || /event: error/.test(outcome.body.toString('utf8'))).toBe(true);
  });

  describe('a bad config stops startup with exit 2, naming the file and the key path', () => {
    const temp = makeTempDir();
    afterAll(() => temp.cleanup());

    test.each([
      ['server.port out of range', '{"server":{"port":70000}}', /server\.port/],
      ['an unknown top-level key', '{"server":{"port":0},"surprise":true}', /surprise/],
      ['malformed JSON', '{"server": {"port": ', /JSON|malformed|parse/i],
    ])('%s', (_name, text, detail) => {
      const file = path.join(temp.dir, `bad-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, text);
      const result = runCli(['start', '--config', file], { env: { HOME: temp.dir } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(file);
      expect(result.stderr).toMatch(detail);
      expect(result.stdout).not.toContain('listening on');
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
