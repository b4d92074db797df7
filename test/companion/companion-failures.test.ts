import Anthropic from '@anthropic-ai/sdk';
import http from 'node:http';
import type { RunningProxy } from '../support/proxy-harness';
import { jsonOf, MODEL, NO_SESSION_HEADERS, postMessages, sdk, sessionHeaders, startCompanionProxy, statusWhen, COLD } from './support/companion-harness';
import { createFakeClaude, type FakeClaude, type FakeRun } from './support/fake-claude';
import { isProcessAlive, livePidsMatching, waitFor } from './support/process-table';

type ErrorBody = { type: string; error: { type: string; message: string } };

const body = (text: string, extra: { stream?: boolean } = {}) => ({
  model: MODEL,
  max_tokens: 16,
  messages: [{ role: 'user' as const, content: text }],
  ...extra,
});

/** Every pid of a run (the CLI and the grandchild it started) is gone from the process table. */
function runGone(run: FakeRun): boolean {
  return !isProcessAlive(run.pid) && (run.grandchildPid === null || !isProcessAlive(run.grandchildPid));
}

/** Errors become Anthropic error answers (or SSE error events), and no CLI process outlives its request. */
describe('companion failures', () => {
  let fake: FakeClaude;
  let proxy: RunningProxy;

  beforeAll(async () => {
    fake = createFakeClaude();
    // The companion's own error answers: no fallback to the caller's key (covered in test/e2e/companion-unavailable-fallback.test.ts).
    proxy = await startCompanionProxy(fake, { ...COLD, timeoutMs: 800, continue: false, fallbackToCaller: false });
  });
  afterAll(async () => {
    await proxy.stop();
    fake.cleanup();
  });
  beforeEach(async () => {
    await fake.clearRuns();
    fake.setControl({});
  });

  test('timeout → 504 timeout_error, and the whole process group is gone (process table)', async () => {
    fake.setControl({ hang: true, grandchild: true });
    const started = Date.now();
    const response = await postMessages(proxy, body('hang'));
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(jsonOf<ErrorBody>(response)).toMatchObject({ type: 'error', error: { type: 'timeout_error' } });
    expect(jsonOf<ErrorBody>(response).error.message).toContain('companion.timeoutMs (800 ms)');
    const [run] = fake.runs();
    expect(run!.grandchildPid).not.toBeNull();
    await waitFor(() => runGone(run!), 500, 'the CLI and its grandchild to be gone');
    expect(livePidsMatching(fake.dir)).toEqual([]);
  });

  test('timeout of a CLI that ignores SIGTERM: SIGKILL follows, nothing left', async () => {
    fake.setControl({ hang: true, grandchild: true, ignoreSigterm: true });
    const response = await postMessages(proxy, body('stubborn'));
    expect(response.status).toBe(504);
    const [run] = fake.runs();
    await waitFor(() => runGone(run!), 500, 'the CLI and its grandchild to be gone');
    expect(livePidsMatching(fake.dir)).toEqual([]);
  });

  test('client abort mid-stream → the process group is gone within 1 s', async () => {
    fake.setControl({ grandchild: true, ignoreSigterm: true, streamDelayMs: 150, chunks: Array.from({ length: 40 }, (_, i) => `chunk ${i} `), text: 'long' });
    const controller = new AbortController();
    const stream = sdk(proxy, sessionHeaders('abort-stream')).messages.stream(body('long answer'), { signal: controller.signal });
    let abortedAt = 0;
    stream.on('text', () => {
      if (!abortedAt) {
        abortedAt = Date.now();
        controller.abort();
      }
    });
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(abortedAt).toBeGreaterThan(0);
    const [run] = fake.runs();
    const took = await waitFor(() => runGone(run!), 1000, 'the CLI and its grandchild to be gone');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(took).toBeLessThan(1000);
    expect(livePidsMatching(fake.dir)).toEqual([]);
    const status = (await (await fetch(`${proxy.url}/tokenpak/status`)).json()) as { companion: { aborted: number; inFlight: number } };
    expect(status.companion).toMatchObject({ inFlight: 0 });
    expect(status.companion.aborted).toBeGreaterThanOrEqual(1);
  });

  test('client abort while a non-streaming run works → gone within 1 s', async () => {
    fake.setControl({ hang: true, grandchild: true });
    const controller = new AbortController();
    const request = sdk(proxy, NO_SESSION_HEADERS).messages.create(body('abort me'), { signal: controller.signal });
    await waitFor(() => fake.runs()[0]?.grandchildPid != null, 5000, 'the CLI to start');
    const abortedAt = Date.now();
    controller.abort();
    await expect(request).rejects.toThrow();
    await waitFor(() => runGone(fake.runs()[0]!), 1000, 'the CLI and its grandchild to be gone');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });

  test('a client that stops reading and then leaves: the CLI is stopped and the run concludes', async () => {
    fake.setControl({ grandchild: true, text: 'big', chunks: Array.from({ length: 60 }, (_, i) => `${i}`.padEnd(100_000, 'x')) });
    const request = http.request(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tokenpak-backend': 'claude-code' },
    });
    const response = await new Promise<http.IncomingMessage>((resolve) => {
      request.once('response', resolve);
      request.end(JSON.stringify(body('a very long answer', { stream: true })));
    });
    expect(response.statusCode).toBe(200);
    response.pause();
    // Long enough for every buffer between the CLI and this paused reader to fill up.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [run] = fake.runs();
    request.destroy();
    const leftAt = Date.now();
    await waitFor(() => runGone(run!), 1000, 'the CLI and its grandchild to be gone');
    expect(Date.now() - leftAt).toBeLessThan(1000);
    const status = await statusWhen(proxy, (seen) => seen.inFlight === 0);
    expect(status).toMatchObject({ inFlight: 0, queued: 0 });
  });

  test('CLI not found → 502 api_error with the install and login hint', async () => {
    const missing = await startCompanionProxy(fake, { ...COLD, command: '/nonexistent/bin/claude', fallbackToCaller: false });
    try {
      const response = await postMessages(missing, body('hi'));
      expect(response.status).toBe(502);
      expect(response.headers['x-tokenpak-error']).toBe('1');
      const error = jsonOf<ErrorBody>(response);
      expect(error.error.type).toBe('api_error');
      expect(error.error.message).toContain('could not find the claude CLI');
      expect(error.error.message).toContain('npm install -g @anthropic-ai/claude-code');
      expect(error.error.message).toContain('log in');
      const status = (await (await fetch(`${missing.url}/tokenpak/status`)).json()) as { companion: { cli: { state: string; error: string } } };
      expect(status.companion.cli.state).toBe('error');
      expect(status.companion.cli.error).toContain('not found');
    } finally {
      await missing.stop();
    }
  });

  test('non-zero exit → 502 with the first 500 characters of stderr, secrets redacted', async () => {
    const secret = 'sk-ant-api03-THISISASECRETKEY0123456789';
    fake.setControl({ exitCode: 3, stderr: `boom: could not reach the API with ${secret}\n${'x'.repeat(2000)}` });
    const response = await postMessages(proxy, body('fail'));
    expect(response.status).toBe(502);
    const { message } = jsonOf<ErrorBody>(response).error;
    expect(message).toMatch(/^the claude CLI exited with code 3: boom: could not reach the API with <redacted:\d+>/);
    expect(message).not.toContain(secret);
    expect(message.length).toBeLessThan(600);
    expect(proxy.logs.join('\n')).not.toContain(secret);
  });

  test('garbage on stdout → 502; the proxy keeps serving', async () => {
    fake.setControl({ garbage: 'Segmentation fault (core dumped)\n<html>not json</html>\n' });
    const plain = await postMessages(proxy, body('garbage'));
    expect(plain.status).toBe(502);
    expect(jsonOf<ErrorBody>(plain).error.message).toContain('could not be understood');
    const streamed = await postMessages(proxy, body('garbage', { stream: true }));
    expect(streamed.status).toBe(502);
    fake.setControl({});
    const fine = await sdk(proxy, NO_SESSION_HEADERS).messages.create({ ...body('fine again'), stream: false });
    expect(fine.content).toEqual([{ type: 'text', text: 'Hello from mock' }]);
  });

  test('not logged in (result record, exit 1) → 401 authentication_error telling the user to log in', async () => {
    fake.setControl({ notLoggedIn: true });
    for (const stream of [false, true]) {
      const response = await postMessages(proxy, body('hi', { stream }));
      expect(response.status).toBe(401);
      const error = jsonOf<ErrorBody>(response);
      expect(error.error.type).toBe('authentication_error');
      expect(error.error.message).toContain('run `claude`');
      expect(error.error.message).toContain('/login');
    }
    await expect(sdk(proxy, NO_SESSION_HEADERS).messages.create(body('hi'))).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  test('an is_error result → 502 with its message', async () => {
    fake.setControl({ apiError: { status: 400, message: 'mock: injected 400' } });
    const response = await postMessages(proxy, body('hi'));
    expect(response.status).toBe(502);
    expect(jsonOf<ErrorBody>(response).error.message).toBe('the claude CLI reported an error (upstream status 400): API Error: 400 mock: injected 400');
  });

  test('a failure after the stream started → SSE event: error (and the SDK raises it)', async () => {
    fake.setControl({ failAfterStreamStart: true, stderr: 'connection reset by peer', exitCode: 1 });
    const raw = await postMessages(proxy, body('hi', { stream: true }));
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toContain('text/event-stream');
    const text = raw.body.toString('utf8');
    expect(text).toContain('event: message_start');
    expect(text).toContain('event: content_block_delta');
    expect(text).toMatch(
      /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"the claude CLI exited with code 1: connection reset by peer","code":"companion_failed"\}\}/,
    );
    expect(text).not.toContain('event: message_stop');

    const stream = sdk(proxy, NO_SESSION_HEADERS).messages.stream(body('hi'));
    await expect(stream.finalMessage()).rejects.toThrow(/connection reset by peer/);
  });

  test('status counts failures and keeps the last error', async () => {
    const status = (await (await fetch(`${proxy.url}/tokenpak/status`)).json()) as { companion: { failed: number; lastError: string } };
    expect(status.companion.failed).toBeGreaterThanOrEqual(5);
    expect(status.companion.lastError).toContain('connection reset by peer');
  });
});
