import { cannedResponse, CANNED } from '../support/canned-responses';
import { rawRequest, rawRequestTarget, type RawResponse } from '../support/http-client';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { endToEndHeaders, HOP_BY_HOP, pairs } from '../support/stream-helpers';

const ALLOWED_ORIGIN = 'https://app.example';
const MESSAGES_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const CHAT_BODY = JSON.stringify({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] });

describe('control headers, hop-by-hop headers and the loopback guard', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let port: string;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url), server: { allowedOrigins: [ALLOWED_ORIGIN] } });
    port = new URL(proxy.url).port;
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.splice(0);
    upstream.setHandler(cannedResponse);
  });

  const anthropic = (host: string, extra: string[] = []): string[] => [
    'Host',
    host,
    'Content-Type',
    'application/json',
    'anthropic-version',
    '2023-06-01',
    'x-api-key',
    'sk-ant-api03-guard',
    ...extra,
    'Content-Length',
    String(Buffer.byteLength(MESSAGES_BODY)),
  ];

  describe('what reaches the upstream', () => {
    test("control and hop-by-hop headers are removed; every other header keeps its spelling, order and value; Host is the upstream's", async () => {
      const sent = [
        'Host',
        `127.0.0.1:${port}`,
        'Content-Type',
        'application/json',
        'X-TokenPak-Provider',
        'tokenpak-anthropic',
        'Anthropic-Version',
        '2023-06-01',
        'X-TokenPak-Backend',
        'api',
        'x-api-key',
        'sk-ant-api03-guard',
        'x-tokenpak-anything',
        'should-not-leak',
        'X-OpenClaw-Session',
        'oc-session-1',
        'Connection',
        'x-custom-hop',
        'x-custom-hop',
        '1',
        'Keep-Alive',
        'timeout=5',
        'TE',
        'trailers',
        'Proxy-Authorization',
        'Basic Zm9vOmJhcg==',
        'X-Custom-Case',
        'MiXeD Value',
        'x-dup',
        'first',
        'X-Dup',
        'second',
        'Accept',
        'application/json',
        'User-Agent',
        'guard-test/1.0',
        'anthropic-beta',
        'tools-2024-04-04,prompt-caching-2024-07-31',
        'Content-Length',
        String(Buffer.byteLength(MESSAGES_BODY)),
      ];
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: sent, body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      const [received] = upstream.requests;
      expect(received!.bodySha256).toBe(sha256(MESSAGES_BODY));

      const forbidden = new Set([
        'x-tokenpak-provider',
        'x-tokenpak-backend',
        'x-tokenpak-anything',
        'x-openclaw-session',
        'x-custom-hop',
        'keep-alive',
        'te',
        'proxy-authorization',
      ]);
      const arrivedNames = pairs(received!.rawHeaders).map(([name]) => name.toLowerCase());
      expect(arrivedNames.filter((name) => forbidden.has(name) || name.startsWith('x-tokenpak-'))).toEqual([]);
      // The only Connection header upstream is the proxy's own for its hop, never the caller's.
      expect(rawHeader(received!.rawHeaders, 'connection') ?? 'keep-alive').toMatch(/^(keep-alive|close)$/i);

      // Exactly the caller's end-to-end headers, Host rewritten in place.
      const removed = new Set([...forbidden, 'connection']);
      const expected = pairs(sent)
        .filter(([name]) => !removed.has(name.toLowerCase()))
        .map(([name, value]): [string, string] => (name.toLowerCase() === 'host' ? [name, `127.0.0.1:${upstream.port}`] : [name, value]));
      const arrived = pairs(received!.rawHeaders).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()));
      expect(arrived).toEqual(expected);
      expect(pairs(endToEndHeaders(received!.rawHeaders))).toEqual(pairs(endToEndHeaders(sent)));
      // The control header still did its job.
      expect(response.headers['x-tokenpak-route']).toContain('provider=tokenpak-anthropic');
    });

    test('the query string is kept', async () => {
      await rawRequest(`${proxy.url}/v1/messages?beta=true`, { method: 'POST', headers: anthropic(`127.0.0.1:${port}`), body: MESSAGES_BODY });
      await rawRequest(`${proxy.url}/v1/messages?beta=true&note=a%20b&empty=`, {
        method: 'POST',
        headers: anthropic(`127.0.0.1:${port}`),
        body: MESSAGES_BODY,
      });
      expect(upstream.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        'POST /v1/messages?beta=true',
        'POST /v1/messages?beta=true&note=a%20b&empty=',
      ]);
    });

    // ARCHITECTURE §2.5: path and query are sent as received — not re-encoded or normalised by a URL parser.
    test.each([
      ["a query with ' | { } ^ `", "/v1/messages?beta=true&q='x'&r={y}|z^w`v"],
      ['a query with "', '/v1/messages?beta=true&q="quoted"'],
      ['a query with odd percent escapes', '/v1/messages?a=%41&b=%zz&c=%7e'],
      ['a path with { }', '/v1/messages/{id}/count_tokens'],
      ['a path with dot segments', '/v1/messages/./batches/../count_tokens'],
      ['a path with an empty segment', '/v1//messages'],
    ])('%s reaches the upstream byte for byte', async (_name, target) => {
      const response = await rawRequestTarget(proxy.url, target, { method: 'POST', headers: anthropic(`127.0.0.1:${port}`), body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      expect(upstream.requests.map((request) => request.url)).toEqual([target]);
    });
  });

  describe('what reaches the client', () => {
    test('upstream response headers keep spelling, order, duplicates and values; hop-by-hop ones are dropped', async () => {
      const text = JSON.stringify(CANNED.anthropicMessage);
      const upstreamHeaders = [
        'X-Upstream-Case',
        'Mixed',
        'Connection',
        'x-resp-hop',
        'x-resp-hop',
        '1',
        'Keep-Alive',
        'timeout=5',
        'Proxy-Authenticate',
        'Basic realm="upstream"',
        'Set-Cookie',
        'a=1; Path=/',
        'Set-Cookie',
        'b=2; Path=/',
        'request-id',
        'req_upstream_1',
        'Content-Type',
        'application/json',
        'Content-Length',
        String(Buffer.byteLength(text)),
      ];
      upstream.setHandler((_request, res) => {
        res.writeHead(200, upstreamHeaders);
        res.end(text);
      });
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: anthropic(`127.0.0.1:${port}`), body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      expect(response.body.toString('utf8')).toBe(text);
      const names = pairs(response.rawHeaders).map(([name]) => name.toLowerCase());
      expect(names).not.toContain('x-resp-hop');
      expect(names).not.toContain('proxy-authenticate');
      expect(pairs(response.rawHeaders).filter(([name, value]) => name.toLowerCase() === 'keep-alive' && value === 'timeout=5')).toEqual([]);
      const withoutDate = (flat: readonly string[]): Array<[string, string]> => pairs(endToEndHeaders(flat)).filter(([name]) => name.toLowerCase() !== 'date');
      expect(withoutDate(response.rawHeaders)).toEqual(withoutDate(upstreamHeaders));
    });
  });

  describe('the loopback guard', () => {
    test.each([['localhost'], ['[::1]'], ['127.0.0.1']])('Host: %s:<port> is accepted', async (name) => {
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: anthropic(`${name}:${port}`), body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString('utf8'))).toEqual(CANNED.anthropicMessage);
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'host')).toBe(`127.0.0.1:${upstream.port}`);
    });

    test('Host: evil.example → 403 in the Anthropic shape on /v1/messages, nothing forwarded', async () => {
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: anthropic('evil.example'), body: MESSAGES_BODY });
      expectProxyError(response, 403);
      expect(JSON.parse(response.body.toString('utf8'))).toEqual({
        type: 'error',
        error: { type: 'permission_error', message: expect.stringMatching(/\S/) as unknown, code: 'host_rejected' },
      });
      expect(upstream.requests).toHaveLength(0);
    });

    test('Host: evil.example:<port> → 403 in the OpenAI shape on /v1/chat/completions', async () => {
      const response = await rawRequest(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: ['Host', `evil.example:${port}`, 'Content-Type', 'application/json', 'Authorization', 'Bearer sk-proj-guard'],
        body: CHAT_BODY,
      });
      expectProxyError(response, 403);
      expectOpenAiShape(response);
      expect(upstream.requests).toHaveLength(0);
    });

    test("Origin: https://evil.example → 403 in the caller's shape (OpenAI and Anthropic paths), nothing forwarded", async () => {
      const openai = await rawRequest(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: ['Host', `127.0.0.1:${port}`, 'Origin', 'https://evil.example', 'Content-Type', 'application/json', 'Authorization', 'Bearer sk-proj-guard'],
        body: CHAT_BODY,
      });
      expectProxyError(openai, 403);
      expectOpenAiShape(openai);

      const messages = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: anthropic(`127.0.0.1:${port}`, ['Origin', 'https://evil.example']),
        body: MESSAGES_BODY,
      });
      expectProxyError(messages, 403);
      expect(JSON.parse(messages.body.toString('utf8'))).toEqual({
        type: 'error',
        error: { type: 'permission_error', message: expect.stringMatching(/\S/) as unknown, code: 'origin_rejected' },
      });
      expect(upstream.requests).toHaveLength(0);
    });

    test('an Origin listed in server.allowedOrigins is accepted (and forwarded)', async () => {
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: anthropic(`127.0.0.1:${port}`, ['Origin', ALLOWED_ORIGIN]),
        body: MESSAGES_BODY,
      });
      expect(response.status).toBe(200);
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'origin')).toBe(ALLOWED_ORIGIN);
    });
  });

  describe('liveness and tracing headers', () => {
    test('HEAD / and GET / answer 200', async () => {
      const head = await rawRequest(`${proxy.url}/`, { method: 'HEAD', headers: ['Host', `127.0.0.1:${port}`, 'User-Agent', 'Bun/1.3.0'] });
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      const get = await rawRequest(`${proxy.url}/`);
      expect(get.status).toBe(200);
      expect(upstream.requests).toHaveLength(0);
    });

    test('every response carries x-tokenpak-request-id (unique); proxied ones also x-tokenpak-route', async () => {
      const host = `127.0.0.1:${port}`;
      const control: RawResponse[] = [
        await rawRequest(`${proxy.url}/`, { method: 'HEAD' }),
        await rawRequest(`${proxy.url}/`),
        await rawRequest(`${proxy.url}/tokenpak/health`),
        await rawRequest(`${proxy.url}/tokenpak/status`),
        await rawRequest(`${proxy.url}/tokenpak/route`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: '/v1/messages', headers: { 'user-agent': 'openclaw' } }),
        }),
        await rawRequest(`${proxy.url}/tokenpak/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' }),
        await rawRequest(`${proxy.url}/no/such/path`),
        await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: anthropic('evil.example'), body: MESSAGES_BODY }),
      ];
      expect(control.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 400, 404, 403]);

      upstream.setHandler((request, res) => {
        if (request.url.startsWith('/v1/models')) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"type":"error","error":{"type":"not_found_error","message":"no"}}');
        } else if (request.url.startsWith('/v1/files')) {
          res.socket?.destroy();
        } else cannedResponse(request, res);
      });
      const proxied: RawResponse[] = [
        await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: anthropic(host), body: MESSAGES_BODY }),
        await rawRequest(`${proxy.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } }),
        // The upstream resets: a proxy-made 502 that still explains the route.
        await rawRequest(`${proxy.url}/v1/files`, { headers: { 'anthropic-version': '2023-06-01' } }),
      ];
      expect(proxied.map((response) => response.status)).toEqual([200, 404, 502]);
      expect(proxied.map((response) => response.headers['x-tokenpak-error'])).toEqual([undefined, undefined, '1']);

      const all = [...control, ...proxied];
      for (const response of all) expect(response.headers['x-tokenpak-request-id']).toMatch(/^\S+$/);
      expect(new Set(all.map((response) => response.headers['x-tokenpak-request-id'])).size).toBe(all.length);
      for (const response of proxied) expect(response.headers['x-tokenpak-route']).toMatch(/provider=.*backend=/);
    });
  });
});

function expectProxyError(response: RawResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['x-tokenpak-error']).toBe('1');
  expect(response.headers['x-tokenpak-request-id']).toMatch(/\S/);
  expect(response.headers['content-type']).toContain('application/json');
}

function expectOpenAiShape(response: RawResponse): void {
  const body = JSON.parse(response.body.toString('utf8')) as { error?: Record<string, unknown>; type?: unknown };
  expect(body.type).toBeUndefined();
  expect(body.error).toEqual(expect.objectContaining({ message: expect.stringMatching(/\S/) as unknown, type: expect.stringMatching(/\S/) as unknown }));
  expect(Object.keys(body.error!)).toEqual(expect.arrayContaining(['message', 'type', 'code']));
}
