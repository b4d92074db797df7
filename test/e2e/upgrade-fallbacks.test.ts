import net from 'node:net';
import { cannedResponse } from '../support/canned-responses';
import { waitForLedgerRows } from '../support/ledger-helpers';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { within } from '../support/stream-helpers';

interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `bytes` on a fresh connection and reads one response (up to the socket's end, or `content-length`). */
function exchange(port: number, bytes: Buffer | string): Promise<WireResponse> {
  return within(
    new Promise<WireResponse>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let received = Buffer.alloc(0);
      const parse = (): WireResponse | null => {
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return null;
        const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
        const body = received.subarray(end + 4);
        const length = Number(headers['content-length'] ?? NaN);
        if (Number.isFinite(length) && body.length < length) return null;
        return { status: Number(statusLine!.split(' ')[1]), headers, body: body.toString('utf8') };
      };
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const response = parse();
        if (response && response.headers['content-length'] !== undefined) {
          socket.destroy();
          resolve(response);
        }
      });
      socket.on('error', (error) => {
        const response = parse();
        if (response) resolve(response);
        else reject(error);
      });
      socket.on('close', () => {
        const response = parse();
        if (response) resolve(response);
        else reject(new Error(`connection closed without a response (${received.length} bytes)`));
      });
      socket.write(bytes);
    }),
    15_000,
    'a response on the raw socket',
  );
}

describe('upgrades that are not WebSockets, and parser-level rejections', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let port: number;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url) });
    port = Number(new URL(proxy.url).port);
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  test('POST /v1/messages with Upgrade: h2c is served as a plain POST: body intact, Connection/Upgrade removed', async () => {
    const body = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'h2c?' }] });
    expect(Buffer.byteLength(body)).toBeGreaterThan(50);
    const request =
      `POST /v1/messages?beta=true HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n` +
      `Content-Type: application/json\r\nanthropic-version: 2023-06-01\r\nx-api-key: sk-ant-api03-h2c\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const response = await exchange(port, request);
    expect(response.status).toBe(200);
    expect(response.headers['x-tokenpak-route']).toBeDefined();
    await upstream.waitForRequests(1);
    const received = upstream.requests[0]!;
    expect(received.method).toBe('POST');
    expect(received.url).toBe('/v1/messages?beta=true');
    expect(received.bodySha256).toBe(sha256(body));
    expect(rawHeader(received.rawHeaders, 'upgrade')).toBeUndefined();
    expect(rawHeader(received.rawHeaders, 'http2-settings')).toBeUndefined();
    expect(rawHeader(received.rawHeaders, 'x-api-key')).toBe('sk-ant-api03-h2c');
  });

  test.each([
    ['with Upgrade headers', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'],
    ['bare', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ])('an upstream 101 (%s) to a request that did not ask for one → 502 in the caller shape; inFlight and the ledger settle', async (_name, answer) => {
    upstream.setHandler((_request, res) => {
      res.socket!.write(answer);
    });
    try {
      const body = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [] });
      const response = await exchange(
        port,
        `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nanthropic-version: 2023-06-01\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      expect(response.status).toBe(502);
      expect(response.headers['x-tokenpak-error']).toBe('1');
      expect(JSON.parse(response.body)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      const requestId = response.headers['x-tokenpak-request-id']!;
      const rows = await waitForLedgerRows(proxy.url, [requestId]);
      expect(rows.get(requestId)).toMatchObject({ status: 502, errorType: 'upstream_protocol_error' });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const status = (await (await fetch(`${proxy.url}/tokenpak/status`)).json()) as { inFlight: number };
        if (status.inFlight === 0) break;
        if (Date.now() > deadline) throw new Error(`inFlight stuck at ${status.inFlight}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      upstream.setHandler(cannedResponse);
    }
  });

  test('headers over the limit → 431 with a JSON body', async () => {
    const response = await exchange(
      port,
      `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nanthropic-version: 2023-06-01\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
    );
    expect(response.status).toBe(431);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(JSON.parse(response.body)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  test('a 100 KB URL → 414 with a JSON body in the OpenAI shape on an OpenAI path', async () => {
    const response = await exchange(port, `GET /v1/models?q=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    expect(response.status).toBe(414);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(JSON.parse(response.body)).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('URL') } });
  });

  test.each([
    ['Content-Length with Transfer-Encoding', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a bad chunk size', 'Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n'],
  ])('bad framing (%s) → 400 with a JSON body', async (_name, rest) => {
    const response = await exchange(port, `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nanthropic-version: 2023-06-01\r\n${rest}`);
    expect(response.status).toBe(400);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(JSON.parse(response.body)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  test('HTTP/1.1 without Host → 400 with a JSON body', async () => {
    const response = await exchange(port, 'GET /v1/models HTTP/1.1\r\n\r\n');
    expect(response.status).toBe(400);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(JSON.parse(response.body)).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('Host') } });
  });

  test('the proxy keeps serving after the rejections', async () => {
    const response = await fetch(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-after' },
      body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [] }),
    });
    expect(response.status).toBe(200);
  });
});
