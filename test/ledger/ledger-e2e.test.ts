import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http, { type ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { anthropicSse, cannedResponse } from '../support/canned-responses';
import { CLI_BIN, runCli } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { ledgerRows, ledgerStats, waitForLedgerRows } from '../support/ledger-helpers';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/** Prices for the mock's models, so costs are checkable: $3 / $15 per million (input / output), cache $0.30 / $3.75. */
const PRICING = {
  'claude-mock-1': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'gpt-mock-1': { input: 1, output: 2, cacheRead: 0.5 },
};
const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-ledger-test' };
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const requestIdOf = (headers: Headers | http.IncomingHttpHeaders): string =>
  String(headers instanceof Headers ? headers.get('x-tokenpak-request-id') : headers['x-tokenpak-request-id']);

describe('request ledger, end to end', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url), companion: { dispatch: false }, ledger: { flushIntervalMs: 20 }, pricing: PRICING });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });
  afterEach(() => upstream.setHandler(cannedResponse));

  test('SDK requests appear with their decision, model, tokens and cost', async () => {
    const anthropic = new Anthropic({ apiKey: 'sk-ant-api03-ledger-test', baseURL: proxy.url, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: 'sk-proj-ledger-test', baseURL: `${proxy.url}/v1`, maxRetries: 0 });

    const plain = await anthropic.messages.create({ model: 'claude-mock-1', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const stream = anthropic.messages.stream({ model: 'claude-mock-1', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    await stream.finalMessage();
    const streamResponse = await stream.withResponse();
    const chat = await openai.chat.completions.create({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const responses = await openai.responses.create({ model: 'gpt-mock-1', input: 'hi' }).withResponse();

    const ids = [plain.response.headers, streamResponse.response.headers, chat.response.headers, responses.response.headers].map(requestIdOf);
    const rows = await waitForLedgerRows(proxy.url, ids);
    const [plainRow, streamRow, chatRow, responsesRow] = ids.map((id) => rows.get(id)!);

    expect(plainRow).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      platform: null,
      sessionId: null,
      provider: null,
      providerSource: 'none',
      routeClass: 'anthropic-sdk',
      backend: 'api',
      via: 'http',
      credentialSource: 'caller',
      upstream: upstream.url,
      model: 'claude-mock-1',
      status: 200,
      errorType: null,
      inputTokens: 11,
      outputTokens: 7,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(plainRow.costUsd).toBeCloseTo((11 * 3 + 7 * 15) / 1e6, 12);
    expect(plainRow.reasons.length).toBeGreaterThan(0);
    expect(plainRow.totalMs).toBeGreaterThan(0);
    expect(plainRow.ttfbMs).toBeLessThanOrEqual(plainRow.totalMs);
    expect(plainRow.bytesIn).toBe(upstream.requests[0]!.body.length);
    expect(plainRow.bytesOut).toBeGreaterThan(100);

    // The SSE answer: input from message_start, output from message_delta (cumulative).
    expect(streamRow).toMatchObject({ model: 'claude-mock-1', status: 200, inputTokens: 11, outputTokens: 4, errorType: null });
    expect(chatRow).toMatchObject({ path: '/v1/chat/completions', routeClass: 'openai-sdk', model: 'gpt-mock-1', inputTokens: 9, outputTokens: 6 });
    expect(chatRow.costUsd).toBeCloseTo((9 * 1 + 6 * 2) / 1e6, 12);
    expect(responsesRow).toMatchObject({ path: '/v1/responses', model: 'gpt-mock-1', inputTokens: 5, outputTokens: 7 });
  });

  test('platform and session come from the route decision (OpenClaw session header)', async () => {
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...ANTHROPIC_HEADERS, 'X-OpenClaw-Session': 'oc-session-7' },
      body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 8, messages: [] }),
    });
    const row = (await waitForLedgerRows(proxy.url, [requestIdOf(response.headers)])).get(requestIdOf(response.headers))!;
    expect(row).toMatchObject({
      platform: 'openclaw',
      sessionId: 'oc-session-7',
      provider: 'tokenpak-claude-code',
      providerSource: 'signal:openclaw',
      backend: 'oauth',
      via: 'http',
    });
    expect(row.reasons.join('\n')).toContain('openclaw');
  });

  test('unknown model prices stay unknown; unknown usage stays unknown', async () => {
    upstream.setHandler((_request, res) => sendJson(res, 200, { model: 'mystery-model-9', usage: { input_tokens: 5, output_tokens: 5 } }));
    const priced = await post('/v1/messages', { model: 'mystery-model-9', messages: [] });
    upstream.setHandler((_request, res) => sendJson(res, 200, { ok: true }));
    const noUsage = await post('/v1/messages', { model: 'claude-mock-1', messages: [] });
    const rows = await waitForLedgerRows(proxy.url, [priced, noUsage]);
    expect(rows.get(priced)).toMatchObject({ model: 'mystery-model-9', inputTokens: 5, costUsd: null });
    expect(rows.get(noUsage)).toMatchObject({ model: 'claude-mock-1', inputTokens: null, outputTokens: null, costUsd: null, status: 200 });
  });

  test('failures carry an error type: upstream error body, unreachable upstream, client gone', async () => {
    upstream.setHandler((_request, res) => sendJson(res, 429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
    const limited = await post('/v1/messages', { model: 'claude-mock-1', messages: [] });

    const closedPort = await freePort();
    const unreachable = await startProxy({ providers: upstreamsAt(`http://127.0.0.1:${closedPort}`), ledger: { flushIntervalMs: 20 } });
    try {
      const response = await rawRequest(`${unreachable.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: '{"model":"claude-mock-1"}' });
      expect(response.status).toBe(502);
      const row = (await waitForLedgerRows(unreachable.url, [requestIdOf(response.headers)])).get(requestIdOf(response.headers))!;
      expect(row).toMatchObject({ status: 502, errorType: 'upstream_unreachable', upstream: `http://127.0.0.1:${closedPort}` });
    } finally {
      await unreachable.stop();
    }

    let sentFirst!: () => void;
    const firstEventSent = new Promise<void>((resolve) => (sentFirst = resolve));
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(anthropicSse()[0]);
      sentFirst();
    });
    const aborted = http.request(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS });
    aborted.on('error', () => undefined);
    aborted.end(JSON.stringify({ model: 'claude-mock-1', stream: true, messages: [] }));
    const response = await new Promise<http.IncomingMessage>((resolve) => aborted.on('response', resolve));
    await firstEventSent;
    await new Promise((resolve) => setTimeout(resolve, 50));
    aborted.destroy();

    const rows = await waitForLedgerRows(proxy.url, [limited, requestIdOf(response.headers)]);
    expect(rows.get(limited)).toMatchObject({ status: 429, errorType: 'rate_limit_error' });
    // The stream never finished: input usage from message_start is kept, the row says the client left.
    expect(rows.get(requestIdOf(response.headers))).toMatchObject({ status: 200, errorType: 'client_closed', inputTokens: 11 });
    // One row per request, never two.
    const all = await ledgerRows(proxy.url);
    expect(all.filter((row) => row.requestId === limited || row.requestId === requestIdOf(response.headers))).toHaveLength(2);
    const failed = await ledgerRows(proxy.url, 'failed=1');
    expect(failed.every((row) => row.errorType !== null)).toBe(true);
  });

  test('the forwarded bytes are identical with the tap on (odd chunking, SSE, gzip)', async () => {
    const sse = Buffer.from(anthropicSse().join('') + 'event: ping\r\ndata: {"type":"ping"}\r\n\r\n');
    const gzipped = gzipSync(Buffer.from(JSON.stringify({ model: 'claude-mock-1', usage: { input_tokens: 1, output_tokens: 2 }, pad: 'x'.repeat(50_000) })));
    for (const [contentType, encoding, body] of [
      ['text/event-stream', undefined, sse],
      ['application/json', 'gzip', gzipped],
    ] as const) {
      upstream.setHandler(async (_request: RecordedRequest, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': contentType, ...(encoding ? { 'content-encoding': encoding } : {}) });
        for (let i = 0; i < body.length; i += 7) {
          res.write(body.subarray(i, i + 7));
          if (i % 700 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        res.end();
      });
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { ...ANTHROPIC_HEADERS, 'accept-encoding': 'gzip' },
        body: '{"model":"claude-mock-1","stream":true}',
      });
      expect(sha256(response.body)).toBe(sha256(body));
      const row = (await waitForLedgerRows(proxy.url, [requestIdOf(response.headers)])).get(requestIdOf(response.headers))!;
      expect(row.bytesOut).toBe(body.length);
      expect(row.inputTokens).toBe(encoding ? 1 : 11);
    }
  });

  test('GET /tokenpak/stats totals match what the mock emitted; bad parameters are a 400', async () => {
    const stats = await ledgerStats(proxy.url, 'since=1h&by=model');
    const rows = await ledgerRows(proxy.url, 'since=1h');
    const sum = (field: 'inputTokens' | 'outputTokens') => rows.reduce((total, row) => total + (row[field] ?? 0), 0);
    expect(stats.total.requests).toBe(rows.length);
    expect(stats.total.inputTokens).toBe(sum('inputTokens'));
    expect(stats.total.outputTokens).toBe(sum('outputTokens'));
    expect(stats.groups.map((group) => group.key)).toContain('claude-mock-1');
    expect((await fetch(`${proxy.url}/tokenpak/stats?by=color`)).status).toBe(400);
    expect((await fetch(`${proxy.url}/tokenpak/requests?since=yesterday`)).status).toBe(400);
  });

  test('tokenpak stats --json (reading the file) agrees with the mock, and with the proxy stopped too', async () => {
    const mock = await startMockUpstream();
    const own = await startProxy({ providers: upstreamsAt(mock.url), ledger: { flushIntervalMs: 20 }, pricing: PRICING });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await post('/v1/messages', { model: 'claude-mock-1', messages: [] }, own.url));
    ids.push(
      await post('/v1/chat/completions', { model: 'gpt-mock-1', messages: [] }, own.url, {
        'content-type': 'application/json',
        authorization: 'Bearer sk-proj-x',
      }),
    );
    await waitForLedgerRows(own.url, ids);
    const expected = { requests: 4, errors: 0, inputTokens: 3 * 11 + 9, outputTokens: 3 * 7 + 6, costUsd: (3 * (11 * 3 + 7 * 15) + (9 * 1 + 6 * 2)) / 1e6 };

    const check = (): void => {
      const result = runCli(['stats', '--json', '--since', '1h', '--by', 'model', '--config', own.configPath]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { total: Record<string, number>; groups: Array<{ key: string; requests: number }> };
      expect(report.total).toMatchObject({ ...expected, costUsd: expect.closeTo(expected.costUsd, 12) });
      expect(report.groups).toEqual(
        expect.arrayContaining([expect.objectContaining({ key: 'claude-mock-1', requests: 3 }), expect.objectContaining({ key: 'gpt-mock-1', requests: 1 })]),
      );
      const table = runCli(['stats', '--by', 'platform', '--config', own.configPath]).stdout;
      expect(table).toMatch(/^none\s+4\s+0\s+42\s+27\s+0\s+0\s+\$0\.0004\s/m);
      const listed = runCli(['requests', '--limit', '2', '--json', '--config', own.configPath]);
      expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(2);
    };
    check();
    const stateDir = path.join(own.dir, 'state');
    await own.tokenpak.shutdown();
    check();
    expect(existsSync(path.join(stateDir, 'ledger.db'))).toBe(true);
    await own.stop();
    await mock.close();
  });

  test('tokenpak requests --follow shows a new request within 1 s', async () => {
    const mock = await startMockUpstream();
    const own = await startProxy({ providers: upstreamsAt(mock.url) }); // default flush interval
    const follower = spawn(process.execPath, [CLI_BIN, 'requests', '--follow', '--json', '--config', own.configPath], {
      env: { ...process.env, TOKENPAK_HOME: '' },
    });
    let output = '';
    follower.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      // Let the follower open the ledger (the proxy created it at start) and print nothing yet.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const sentAt = Date.now();
      const id = await post('/v1/messages', { model: 'claude-mock-1', messages: [] }, own.url);
      while (!output.includes(id) && Date.now() - sentAt < 3000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(output).toContain(id);
      const line = output.split('\n').find((candidate) => candidate.includes(id))!;
      expect(JSON.parse(line)).toMatchObject({ requestId: id, model: 'claude-mock-1', inputTokens: 11 });
    } finally {
      follower.kill('SIGTERM');
      await new Promise((resolve) => follower.once('exit', resolve));
      await own.stop();
      await mock.close();
    }
  });

  test('GET /tokenpak/events streams rows as they are written, and replays from Last-Event-ID', async () => {
    const events = await openEvents(proxy.url);
    try {
      const id = await post('/v1/messages', { model: 'claude-mock-1', messages: [] });
      const event = await events.next((data) => data.requestId === id);
      expect(event.data).toMatchObject({ requestId: id, model: 'claude-mock-1', status: 200 });
      const replay = await openEvents(proxy.url, String(event.id - 1));
      try {
        expect((await replay.next(() => true)).data.requestId).toBe(id);
      } finally {
        replay.close();
      }
    } finally {
      events.close();
    }
  });

  test('nothing secret is stored: no API key, no query string, in the file or its WAL', async () => {
    const id = await post('/v1/messages?beta=true&api_key=sk-ant-api03-query-secret', { model: 'claude-mock-1', messages: [] });
    const row = (await waitForLedgerRows(proxy.url, [id])).get(id)!;
    expect(row.path).toBe('/v1/messages');
    const stateDir = path.join(proxy.dir, 'state');
    const files = readdirSync(stateDir).filter((name) => name.startsWith('ledger.db'));
    expect(files).toContain('ledger.db');
    const bytes = Buffer.concat(files.map((name) => readFileSync(path.join(stateDir, name))));
    for (const secret of ['sk-ant-api03-ledger-test', 'sk-proj-ledger-test', 'sk-ant-api03-query-secret']) expect(bytes.includes(secret)).toBe(false);
  });

  test('ledger.enabled: false records nothing, creates no file, and the endpoints say so', async () => {
    const mock = await startMockUpstream();
    const off = await startProxy({ providers: upstreamsAt(mock.url), ledger: { enabled: false } });
    try {
      const response = await rawRequest(`${off.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: '{"model":"claude-mock-1"}' });
      expect(response.status).toBe(200);
      expect(existsSync(path.join(off.dir, 'state', 'ledger.db'))).toBe(false);
      const requests = await fetch(`${off.url}/tokenpak/requests`);
      expect(requests.status).toBe(503);
      expect(await requests.json()).toMatchObject({ error: { type: 'ledger_off' } });
    } finally {
      await off.stop();
      await mock.close();
    }
  });

  async function post(pathname: string, body: unknown, base = proxy.url, headers: Record<string, string> = ANTHROPIC_HEADERS): Promise<string> {
    const response = await rawRequest(`${base}${pathname}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return requestIdOf(response.headers);
  }
});

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface SseEvent {
  id: number;
  data: Record<string, unknown>;
}

/** A minimal SSE reader on /tokenpak/events. */
async function openEvents(
  base: string,
  lastEventId?: string,
): Promise<{ next(match: (data: Record<string, unknown>) => boolean): Promise<SseEvent>; close(): void }> {
  const request = http.request(`${base}/tokenpak/events`, { headers: lastEventId ? { 'last-event-id': lastEventId } : {} });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request.on('response', resolve);
    request.on('error', reject);
    request.end();
  });
  expect(response.headers['content-type']).toContain('text/event-stream');
  let buffer = '';
  const seen: SseEvent[] = [];
  const waiters: Array<() => void> = [];
  response.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (\d+)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (id && data) seen.push({ id: Number(id[1]), data: JSON.parse(data[1]!) as Record<string, unknown> });
    }
    waiters.splice(0).forEach((wake) => wake());
  });
  return {
    async next(match) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = seen.find((event) => match(event.data));
        if (found) return found;
        if (Date.now() > deadline) throw new Error('no matching event');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => request.destroy(),
  };
}
