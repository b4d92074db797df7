import { anthropicSse, CANNED } from '../support/canned-responses';
import { rawRequest } from '../support/http-client';
import { waitForLedgerRows } from '../support/ledger-helpers';
import { rawHeader, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, type RunningProxy } from '../support/proxy-harness';
import { closedPort, streamRequest, within } from '../support/stream-helpers';

const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-fallback' };
const MESSAGES_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'fall back, please' }] });
const ANSWER = JSON.stringify(CANNED.anthropicMessage);

function answerWith(status: number, body: string) {
  return (_request: unknown, res: import('node:http').ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };
}

describe('fallbacks before the first byte (providers.<name>.fallback, ARCHITECTURE §7)', () => {
  let primary: MockUpstream;
  let backup: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    primary = await startMockUpstream();
    backup = await startMockUpstream(answerWith(200, ANSWER));
    proxy = await startProxy({
      providers: {
        'tokenpak-anthropic': { upstream: primary.url, fallback: [{ provider: 'backup', on: ['status:429', 'status:5xx'] }] },
        backup: { upstream: backup.url },
      },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await primary?.close();
    await backup?.close();
  });
  beforeEach(() => {
    primary.requests.splice(0);
    backup.requests.splice(0);
  });

  test('429 from the first provider → the second serves the same request; route header and ledger say so', async () => {
    primary.setHandler(answerWith(429, JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } })));
    const response = await rawRequest(`${proxy.url}/v1/messages?beta=true`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
    expect(response.status).toBe(200);
    expect(response.body.toString('utf8')).toBe(ANSWER);
    expect(response.headers['x-tokenpak-route']).toMatch(/; fallback=backup \(status:429\)$/);
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);
    // Byte-identical: same path and query, same body, the caller's own credentials.
    expect(backup.requests[0]!.url).toBe('/v1/messages?beta=true');
    expect(backup.requests[0]!.body.toString('utf8')).toBe(MESSAGES_BODY);
    expect(rawHeader(backup.requests[0]!.rawHeaders, 'x-api-key')).toBe('sk-ant-api03-fallback');
    const requestId = String(response.headers['x-tokenpak-request-id']);
    const row = (await waitForLedgerRows(proxy.url, [requestId])).get(requestId)!;
    expect(row.status).toBe(200);
    expect(row.reasons).toContain('fallback=backup (status:429)');
  });

  test('a 503 with a large chunked body is discarded and the second provider serves', async () => {
    primary.setHandler((_request, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('x'.repeat(256 * 1024));
    });
    const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
    expect(response.status).toBe(200);
    expect(response.headers['x-tokenpak-route']).toContain('fallback=backup (status:5xx)');
  });

  test('a status no rule names (400) is relayed unchanged, no fallback', async () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'bad' } });
    primary.setHandler(answerWith(400, body));
    const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
    expect(response.status).toBe(400);
    expect(response.body.toString('utf8')).toBe(body);
    expect(response.headers['x-tokenpak-route']).not.toContain('fallback=');
    expect(backup.requests).toHaveLength(0);
  });

  test('after the first byte → no fallback: the stream fails with event: error and the backup is never asked', async () => {
    const events = anthropicSse();
    primary.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(events.slice(0, 2).join(''), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const response = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
    expect(response.status).toBe(200);
    const outcome = await within(response.done, 10_000, 'the cut stream to end');
    expect(outcome.body.toString('utf8')).toContain('event: error');
    expect(response.headers['x-tokenpak-route']).not.toContain('fallback=');
    expect(backup.requests).toHaveLength(0);
  });

  test('connect_error: an unreachable first provider → the second, along a chain', async () => {
    const chained = await startProxy({
      providers: {
        'tokenpak-anthropic': { upstream: `http://127.0.0.1:${await closedPort()}`, fallback: [{ provider: 'middle', on: ['connect_error'] }] },
        middle: { upstream: primary.url, fallback: [{ provider: 'backup', on: ['status:5xx'] }] },
        backup: { upstream: backup.url },
      },
    });
    try {
      primary.setHandler(answerWith(500, '{}'));
      const response = await rawRequest(`${chained.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      expect(response.headers['x-tokenpak-route']).toMatch(/; fallback=middle \(connect_error\); fallback=backup \(status:5xx\)$/);
      expect(backup.requests[0]!.body.toString('utf8')).toBe(MESSAGES_BODY);
    } finally {
      await chained.stop();
    }
  });

  test('without a fallback rule the 429 is relayed as the upstream sent it', async () => {
    const plain = await startProxy({ providers: { 'tokenpak-anthropic': { upstream: primary.url } } });
    try {
      primary.setHandler(answerWith(429, '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'));
      const response = await rawRequest(`${plain.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: MESSAGES_BODY });
      expect(response.status).toBe(429);
      expect(backup.requests).toHaveLength(0);
    } finally {
      await plain.stop();
    }
  });
});
