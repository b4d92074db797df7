import Anthropic from '@anthropic-ai/sdk';
import net, { type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { anthropicSse } from '../support/canned-responses';
import { rawRequest } from '../support/http-client';
import { waitForLedgerRows } from '../support/ledger-helpers';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { streamRequest, within } from '../support/stream-helpers';

const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-timeouts' };
const OPENAI_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-proj-timeouts' };
const MESSAGES_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const CHAT_BODY = JSON.stringify({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] });
/** Short limits, so a test waits a fraction of a second where production waits minutes. */
const TIMEOUTS = { connectMs: 400, headersMs: 1000, idleMs: 400 };

/** Every provider at `url` with the short timeouts. */
function providersAt(url: string) {
  const providers = upstreamsAt(url)!;
  return Object.fromEntries(Object.entries(providers).map(([name, provider]) => [name, { ...provider, timeouts: TIMEOUTS }]));
}

/** A TCP server that accepts and never says a byte (a TLS upstream whose handshake never completes). */
async function startSilentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    // Reads (and ignores) what arrives, so the client's close is seen.
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

function expectTimeoutError(response: { status: number; headers: Record<string, unknown>; body: Buffer }, shape: 'anthropic' | 'openai'): void {
  expect(response.status).toBe(504);
  expect(response.headers['x-tokenpak-error']).toBe('1');
  const body = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
  if (shape === 'anthropic')
    expect(body).toEqual({
      type: 'error',
      error: { type: 'timeout_error', message: expect.stringMatching(/timeouts\.\w+Ms/) as unknown, code: 'upstream_timeout' },
    });
  else expect(body.error).toEqual(expect.objectContaining({ message: expect.stringMatching(/timeouts\.\w+Ms/) as unknown, code: 'upstream_timeout' }));
}

describe('upstream timeouts (providers.<name>.timeouts, ARCHITECTURE §7)', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: providersAt(upstream.url) });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  test('connect: a TLS upstream that never completes its handshake → 504 timeout_error, ledger upstream_timeout', async () => {
    const silent = await startSilentServer();
    const tlsProxy = await startProxy({ providers: { 'tokenpak-anthropic': { upstream: `https://127.0.0.1:${silent.port}`, timeouts: TIMEOUTS } } });
    try {
      const response = await within(
        rawRequest(`${tlsProxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY }),
        15_000,
        'the proxy to give up connecting',
      );
      expectTimeoutError(response, 'anthropic');
      expect(response.body.toString('utf8')).toContain('timeouts.connectMs');
      const requestId = String(response.headers['x-tokenpak-request-id']);
      const rows = await waitForLedgerRows(tlsProxy.url, [requestId]);
      expect(rows.get(requestId)!.errorType).toBe('upstream_timeout');
      // The proxy let go of the stalled connection.
      const deadline = Date.now() + 5000;
      while (silent.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(silent.sockets.size).toBe(0);
    } finally {
      await tlsProxy.stop();
      silent.server.close();
    }
  });

  test('headers: an upstream that reads the request and never answers → 504 in the Anthropic shape', async () => {
    upstream.setHandler(() => undefined);
    const response = await within(
      rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY }),
      15_000,
      'the proxy to give up waiting',
    );
    expectTimeoutError(response, 'anthropic');
    expect(response.body.toString('utf8')).toContain('timeouts.headersMs');
    const requestId = String(response.headers['x-tokenpak-request-id']);
    expect((await waitForLedgerRows(proxy.url, [requestId])).get(requestId)!.errorType).toBe('upstream_timeout');
  });

  test('headers: the same on an OpenAI path → 504 in the OpenAI shape', async () => {
    upstream.setHandler(() => undefined);
    const response = await within(
      rawRequest(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: OPENAI_HEADERS, body: CHAT_BODY }),
      15_000,
      'the proxy to give up waiting',
    );
    expectTimeoutError(response, 'openai');
  });

  test('idle: an SSE stream that stalls after its first events → those events, then event: error; the SDK gets an APIError', async () => {
    const events = anthropicSse();
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(events.slice(0, 3).join(''));
    });
    const response = await streamRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: ANTHROPIC_HEADERS,
      body: JSON.stringify({ ...JSON.parse(MESSAGES_BODY), stream: true }),
    });
    expect(response.status).toBe(200);
    const outcome = await within(response.done, 15_000, 'the stalled stream to end');
    const text = outcome.body.toString('utf8');
    expect(text.startsWith(events.slice(0, 3).join(''))).toBe(true);
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"timeout_error","message":"[^"]*timeouts\.idleMs/);
    const requestId = String(response.headers['x-tokenpak-request-id']);
    expect((await waitForLedgerRows(proxy.url, [requestId])).get(requestId)!.errorType).toBe('upstream_timeout');

    const client = new Anthropic({ apiKey: 'sk-ant-api03-timeouts', baseURL: proxy.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    stream.on('error', () => undefined);
    await expect(within(stream.finalMessage(), 15_000, 'finalMessage to settle')).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  test('idle: a JSON body that stalls after the headers → the connection is cut (a visibly incomplete body)', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"msg_stalled",');
    });
    const response = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
    const outcome = await within(response.done, 15_000, 'the stalled response to end');
    expect(outcome.complete).toBe(false);
    const requestId = String(response.headers['x-tokenpak-request-id']);
    expect((await waitForLedgerRows(proxy.url, [requestId])).get(requestId)!.errorType).toBe('upstream_timeout');
  });

  test('upload: a client that stops sending its body half-way → 408 and the upstream request is dropped', async () => {
    upstream.setHandler((_request, res) => void res.end('{}'));
    const before = upstream.requests.length;
    const response = await within(
      new Promise<{ status: number; body: string; error: string | null }>((resolve) => {
        const { port } = new URL(proxy.url);
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nx-api-key: sk-ant-api03-timeouts\r\nContent-Length: 1000\r\n\r\n{"model":`,
          );
        });
        let data = '';
        socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        socket.on('error', (error) => resolve({ status: 0, body: data, error: error.message }));
        socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0), body: data, error: null }));
      }),
      15_000,
      'the proxy to give up on the upload',
    );
    expect(response.status).toBe(408);
    expect(response.body).toContain('x-tokenpak-error: 1');
    expect(upstream.requests.length).toBe(before);
  });

  test('afterwards the proxy keeps serving', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
    expect(response.status).toBe(200);
  });
});
