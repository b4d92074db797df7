import Anthropic from '@anthropic-ai/sdk';
import type { ServerResponse } from 'node:http';
import { anthropicSse, cannedResponse, CANNED, openaiChatSse } from '../support/canned-responses';
import { rawRequest, type RawResponse } from '../support/http-client';
import { startMockUpstream, type MockHandler, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { closedPort, streamRequest, within } from '../support/stream-helpers';

const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-errors' };
const OPENAI_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-proj-errors' };
const MESSAGES_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const STREAM_MESSAGES_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });
const CHAT_BODY = JSON.stringify({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] });
const STREAM_CHAT_BODY = JSON.stringify({ model: 'gpt-mock-1', stream: true, messages: [{ role: 'user', content: 'hi' }] });

/** A proxy-made error in the Anthropic shape (ARCHITECTURE §2.5), exactly. */
function expectAnthropicProxyError(response: RawResponse, status: number, type: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['x-tokenpak-error']).toBe('1');
  expect(response.headers['x-tokenpak-request-id']).toMatch(/\S/);
  expect(response.headers['content-type']).toContain('application/json');
  const body = JSON.parse(response.body.toString('utf8')) as unknown;
  expect(body).toEqual({
    type: 'error',
    error: { type, message: expect.stringMatching(/\S/) as unknown, code: expect.stringMatching(/^[a-z_]+$/) as unknown },
  });
}

/** A proxy-made error in the OpenAI shape: `{"error":{"message","type","code"}}`. */
function expectOpenAiProxyError(response: RawResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['x-tokenpak-error']).toBe('1');
  expect(response.headers['x-tokenpak-request-id']).toMatch(/\S/);
  expect(response.headers['content-type']).toContain('application/json');
  const body = JSON.parse(response.body.toString('utf8')) as { error?: Record<string, unknown>; type?: unknown };
  expect(body.type).toBeUndefined();
  expect(body.error).toEqual(expect.objectContaining({ message: expect.stringMatching(/\S/) as unknown, type: expect.stringMatching(/\S/) as unknown }));
  expect(Object.keys(body.error!)).toEqual(expect.arrayContaining(['message', 'type', 'code']));
}

/** Writes the head and `first`, then (once it is on the wire) kills the socket: a reset mid-response. */
function resetAfter(status: number, headers: Record<string, string>, first: string): MockHandler {
  return (_request, res: ServerResponse) => {
    res.writeHead(status, headers);
    res.write(first, () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

/** The SSE frames of a body: `[{ event, data }]`. */
function sseFrames(text: string): Array<{ event?: string; data: string }> {
  return text
    .split(/\n\n+/)
    .map((block) => block.trim())
    .filter((block) => block !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines
        .find((line) => line.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      return { event, data };
    });
}

describe('upstream errors and failures', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let refusing: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url) });
    refusing = await startProxy({ providers: upstreamsAt(`http://127.0.0.1:${await closedPort()}`) });
  });
  afterAll(async () => {
    await refusing?.stop();
    await proxy?.stop();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.splice(0);
    upstream.setHandler(cannedResponse);
  });

  describe('upstream status, headers and body are relayed unchanged', () => {
    test('429 with retry-after and an Anthropic rate_limit_error body', async () => {
      const body = JSON.stringify({
        type: 'error',
        error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' },
      });
      upstream.setHandler((_request, res) => {
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': '7',
          'request-id': 'req_upstream_429',
          'anthropic-ratelimit-requests-remaining': '0',
          'content-length': String(Buffer.byteLength(body)),
        });
        res.end(body);
      });
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expect(response.status).toBe(429);
      expect(response.body.toString('utf8')).toBe(body);
      expect(response.headers['retry-after']).toBe('7');
      expect(response.headers['request-id']).toBe('req_upstream_429');
      expect(response.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
      // The upstream's error, not TokenPak's: no error marker, but still TokenPak's tracing headers.
      expect(response.headers['x-tokenpak-error']).toBeUndefined();
      expect(response.headers['x-tokenpak-request-id']).toMatch(/\S/);
      expect(response.headers['x-tokenpak-route']).toMatch(/\S/);
    });

    test('the Anthropic SDK sees the 429 as a RateLimitError with the upstream retry-after', async () => {
      upstream.setHandler((_request, res) => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
      });
      const client = new Anthropic({ apiKey: 'sk-ant-api03-errors', baseURL: proxy.url, maxRetries: 0 });
      const error: unknown = await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      const rateLimit = error as InstanceType<typeof Anthropic.RateLimitError>;
      expect(rateLimit.status).toBe(429);
      expect(rateLimit.headers.get('retry-after')).toBe('7');
      expect(rateLimit.message).toContain('slow down');
    });

    test('529 overloaded_error on /v1/messages', async () => {
      const body = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      upstream.setHandler((_request, res) => {
        res.writeHead(529, 'Site Overloaded', { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      });
      const response = await rawRequest(`${proxy.url}/v1/messages?beta=true`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expect(response.status).toBe(529);
      expect(response.body.toString('utf8')).toBe(body);
      expect(response.headers['x-tokenpak-error']).toBeUndefined();
    });

    test('500 with an OpenAI error body on /v1/chat/completions', async () => {
      const body = JSON.stringify({
        error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null },
      });
      upstream.setHandler((_request, res) => {
        res.writeHead(500, { 'content-type': 'application/json', 'x-request-id': 'req_oai_500' });
        res.end(body);
      });
      const response = await rawRequest(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: CHAT_BODY });
      expect(response.status).toBe(500);
      expect(response.body.toString('utf8')).toBe(body);
      expect(response.headers['x-request-id']).toBe('req_oai_500');
      expect(response.headers['x-tokenpak-error']).toBeUndefined();
    });
  });

  describe("upstream unreachable → 502 in the caller's shape", () => {
    test('connection refused on /v1/messages → Anthropic api_error', async () => {
      const response = await rawRequest(`${refusing.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expectAnthropicProxyError(response, 502, 'api_error');
      expect(response.headers['x-tokenpak-route']).toMatch(/\S/);
    });

    test('connection refused on /v1/chat/completions → OpenAI error', async () => {
      const response = await rawRequest(`${refusing.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: CHAT_BODY });
      expectOpenAiProxyError(response, 502);
    });

    test('socket reset before any response on /v1/messages → Anthropic api_error', async () => {
      upstream.setHandler((_request, res) => void res.socket?.destroy());
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expectAnthropicProxyError(response, 502, 'api_error');
      expect(upstream.requests).toHaveLength(1);
    });

    test('socket reset before any response on /v1/chat/completions → OpenAI error', async () => {
      upstream.setHandler((_request, res) => void res.socket?.destroy());
      const response = await rawRequest(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: CHAT_BODY });
      expectOpenAiProxyError(response, 502);
    });
  });

  describe('upstream reset mid-response → the client sees an error, never a clean complete body', () => {
    test('SSE on /v1/messages: the relayed event, then an Anthropic `event: error` frame', async () => {
      const events = anthropicSse();
      upstream.setHandler(resetAfter(200, { 'content-type': 'text/event-stream' }, events[0]!));
      const response = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: STREAM_MESSAGES_BODY });
      expect(response.status).toBe(200);
      const outcome = await within(response.done, 5000, 'the relayed stream to end');
      const text = outcome.body.toString('utf8');
      expect(text.startsWith(events[0]!)).toBe(true);
      expect(text).not.toContain('message_stop');
      const frames = sseFrames(text);
      const last = frames[frames.length - 1]!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data)).toEqual({
        type: 'error',
        error: { type: expect.stringMatching(/\S/) as unknown, message: expect.stringMatching(/\S/) as unknown, code: 'upstream_truncated' },
      });
    });

    test('SSE on /v1/chat/completions: the relayed chunk, then an OpenAI-shaped error frame, no [DONE]', async () => {
      const events = openaiChatSse();
      upstream.setHandler(resetAfter(200, { 'content-type': 'text/event-stream' }, events[0]!));
      const response = await streamRequest(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: STREAM_CHAT_BODY });
      const outcome = await within(response.done, 5000, 'the relayed stream to end');
      const text = outcome.body.toString('utf8');
      expect(text.startsWith(events[0]!)).toBe(true);
      expect(text).not.toContain('[DONE]');
      const frames = sseFrames(text);
      const last = frames[frames.length - 1]!;
      expect(last.event).toBe('error');
      const data = JSON.parse(last.data) as { error?: Record<string, unknown> };
      expect(data.error).toEqual(expect.objectContaining({ message: expect.stringMatching(/\S/) as unknown, type: expect.stringMatching(/\S/) as unknown }));
    });

    test('a content-length JSON body cut short: the client sees a truncated, aborted response', async () => {
      const full = JSON.stringify(CANNED.anthropicMessage).padEnd(1000, ' ');
      upstream.setHandler(resetAfter(200, { 'content-type': 'application/json', 'content-length': String(full.length) }, full.slice(0, 100)));
      const response = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expect(response.headers['content-length']).toBe(String(full.length));
      const outcome = await within(response.done, 5000, 'the relayed response to end');
      expect(outcome.complete).toBe(false);
      expect(outcome.body.length).toBeLessThan(full.length);
    });

    test('a chunked JSON body cut short: the client sees an aborted response, not a clean end', async () => {
      upstream.setHandler(resetAfter(200, { 'content-type': 'application/json' }, '{"id":"msg_partial","content":[{"type":"text","text":"Hel'));
      const response = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      const outcome = await within(response.done, 5000, 'the relayed response to end');
      expect(outcome.complete).toBe(false);
    });

    test('@anthropic-ai/sdk: messages.stream(...).finalMessage() rejects', async () => {
      upstream.setHandler(resetAfter(200, { 'content-type': 'text/event-stream' }, anthropicSse().slice(0, 3).join('')));
      const client = new Anthropic({ apiKey: 'sk-ant-api03-errors', baseURL: proxy.url, maxRetries: 0 });
      const stream = client.messages.stream({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
      stream.on('error', () => undefined);
      // The proxy's `event: error` frame surfaces as an APIError (a clean end would have resolved with a partial message).
      await expect(within(stream.finalMessage(), 5000, 'finalMessage to settle')).rejects.toBeInstanceOf(Anthropic.APIError);
    });

    test('@anthropic-ai/sdk: messages.create on a truncated JSON body rejects', async () => {
      const full = JSON.stringify(CANNED.anthropicMessage);
      upstream.setHandler(resetAfter(200, { 'content-type': 'application/json', 'content-length': String(full.length) }, full.slice(0, 40)));
      const client = new Anthropic({ apiKey: 'sk-ant-api03-errors', baseURL: proxy.url, maxRetries: 0 });
      await expect(
        within(client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }), 5000, 'create to settle'),
      ).rejects.toThrow();
    });
  });

  describe('afterwards', () => {
    test('after all of that the proxy keeps serving', async () => {
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString('utf8'))).toEqual(CANNED.anthropicMessage);
      const client = new Anthropic({ apiKey: 'sk-ant-api03-errors', baseURL: proxy.url, maxRetries: 0 });
      const final = await client.messages.stream({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: CANNED.anthropicStreamText.join('') })]);
      const health = await rawRequest(`${refusing.url}/tokenpak/health`);
      expect(health.status).toBe(200);
    });
  });
});
