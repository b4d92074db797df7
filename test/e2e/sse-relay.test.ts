import { anthropicSse, openaiChatSse, responsesSse } from '../support/canned-responses';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { createLatch, holdingSseHandler, streamRequest, within, type Latch } from '../support/stream-helpers';

/**
 * ARCHITECTURE §2.5: SSE is relayed event by event with no added delay. The mock sends the
 * first event and then holds the rest until the test opens a latch; the client must already
 * have that first event while the mock is holding.
 */
describe('SSE is relayed incrementally', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  const latches: Latch[] = [];

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url), companion: { dispatch: false } });
  });
  afterAll(async () => {
    latches.forEach((latch) => latch.open());
    await proxy?.stop();
    await upstream?.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  interface SseCase {
    name: string;
    path: string;
    headers: Record<string, string>;
    body: unknown;
    events: string[];
  }

  const cases: SseCase[] = [
    {
      name: 'Anthropic /v1/messages',
      path: '/v1/messages?beta=true',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-sse' },
      body: { model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      events: anthropicSse(),
    },
    {
      name: 'OpenAI /v1/chat/completions',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-proj-sse' },
      body: { model: 'gpt-mock-1', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      events: openaiChatSse(),
    },
    {
      name: 'Codex /v1/responses',
      path: '/v1/responses',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-proj-sse', originator: 'codex_exec', 'session-id': 'sse-session' },
      body: { model: 'gpt-mock-1', stream: true, input: 'hi' },
      events: responsesSse(),
    },
    {
      // The OpenClaw signal buffers the (small) request body for inspection; the response must still stream.
      name: 'OpenClaw-like /v1/messages (body inspected)',
      path: '/v1/messages',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'x-api-key': 'sk-ant-api03-sse',
        'user-agent': 'undici',
        'sec-fetch-mode': 'cors',
        'accept-language': '*',
      },
      body: {
        model: 'claude-mock-1',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 16,
        stream: true,
        system: [{ type: 'text', text: '<!-- openclaw:attempt:STABLE -->\nYou are a personal assistant.' }],
      },
      events: anthropicSse(),
    },
  ];

  test.each(cases)('$name: the first event reaches the client while the upstream holds back the rest', async ({ path, headers, body, events }) => {
    const latch = createLatch();
    latches.push(latch);
    upstream.setHandler(holdingSseHandler(events, latch, 1));
    const response = await streamRequest(`${proxy.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    await response.waitFor((received) => received.includes(events[0]!));
    // The mock is still holding: exactly the first event has arrived, nothing else.
    expect(latch.opened).toBe(false);
    expect(response.received()).toBe(events[0]);

    latch.open();
    const outcome = await within(response.done, 5000, 'the relayed stream to end');
    expect(outcome.complete).toBe(true);
    expect(outcome.body.toString('utf8')).toBe(events.join(''));
  });

  test('the response headers reach the client before the first event does', async () => {
    const latch = createLatch();
    latches.push(latch);
    const events = anthropicSse();
    upstream.setHandler(holdingSseHandler(events, latch, 0));
    const response = await streamRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-sse' },
      body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [] }),
    });
    // streamRequest resolved on the response head, while the mock has not sent a single event.
    expect(latch.opened).toBe(false);
    expect(response.status).toBe(200);
    expect(response.headers['x-tokenpak-request-id']).toBeTruthy();
    expect(response.received()).toBe('');
    latch.open();
    const outcome = await within(response.done, 5000, 'the relayed stream to end');
    expect(outcome.complete).toBe(true);
    expect(outcome.body.toString('utf8')).toBe(events.join(''));
  });

  test('each held event is relayed on its own, in order', async () => {
    const events = anthropicSse();
    const gates = events.map(() => createLatch());
    latches.push(...gates);
    upstream.setHandler(async (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      for (let i = 0; i < events.length; i++) {
        await gates[i]!.wait();
        if (res.destroyed) return;
        res.write(events[i]);
      }
      res.end();
    });
    const response = await streamRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-sse' },
      body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [] }),
    });
    for (let i = 0; i < events.length; i++) {
      gates[i]!.open();
      const expected = events.slice(0, i + 1).join('');
      await response.waitFor((received) => received === expected);
    }
    const outcome = await within(response.done, 5000, 'the relayed stream to end');
    expect(outcome.complete).toBe(true);
    expect(outcome.body.toString('utf8')).toBe(events.join(''));
  });

  test('a client that goes away mid-stream: the upstream request is aborted too', async () => {
    const latch = createLatch();
    latches.push(latch);
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    upstream.setHandler(async (_request, res) => {
      res.on('close', () => upstreamClosed());
      await holdingSseHandler(anthropicSse(), latch, 1)(_request, res);
    });
    const response = await streamRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-sse' },
      body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [] }),
    });
    await response.waitFor((received) => received.startsWith('event: message_start'));
    response.destroy();
    await within(closed, 5000, 'the upstream response to be closed after the client left');
    expect(latch.opened).toBe(false);
  });
});
