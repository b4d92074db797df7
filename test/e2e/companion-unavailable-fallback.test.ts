import Anthropic from '@anthropic-ai/sdk';
import { CANNED } from '../support/canned-responses';
import { rawRequest } from '../support/http-client';
import { waitForLedgerRows } from '../support/ledger-helpers';
import { rawHeader, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

const MESSAGES_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hello through the companion' }] });
/** Routed to the companion (provider tokenpak-claude-code, POST /v1/messages), whose CLI does not exist. */
const COMPANION_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-tokenpak-provider': 'tokenpak-claude-code' };
const MISSING_CLI = '/nonexistent/tokenpak-test/claude';

describe("an unavailable companion falls back to the caller's credentials (companion.fallbackToCaller, ARCHITECTURE §7)", () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url), companion: { command: MISSING_CLI } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  test('CLI missing, caller sent an API key → forwarded upstream byte-identical with that key; route header and ledger say fallback', async () => {
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...COMPANION_HEADERS, 'x-api-key': 'sk-ant-api03-caller-own' },
      body: MESSAGES_BODY,
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual(CANNED.anthropicMessage);
    const route = String(response.headers['x-tokenpak-route']);
    expect(route).toContain('via=companion');
    expect(route).toMatch(/; fallback=tokenpak-claude-code \(unavailable\)$/);
    expect(upstream.requests).toHaveLength(1);
    const received = upstream.requests[0]!;
    expect(received.body.toString('utf8')).toBe(MESSAGES_BODY);
    expect(rawHeader(received.rawHeaders, 'x-api-key')).toBe('sk-ant-api03-caller-own');
    expect(rawHeader(received.rawHeaders, 'x-tokenpak-provider')).toBeUndefined();
    const requestId = String(response.headers['x-tokenpak-request-id']);
    const row = (await waitForLedgerRows(proxy.url, [requestId])).get(requestId)!;
    expect(row.status).toBe(200);
    expect(row.errorType).toBeNull();
    expect(row.reasons).toContain('fallback=tokenpak-claude-code (unavailable)');
  });

  test('the Anthropic SDK (bearer OAuth token, streaming) gets its answer through the fallback', async () => {
    const client = new Anthropic({
      authToken: 'sk-ant-oat01-caller-token',
      baseURL: proxy.url,
      maxRetries: 0,
      defaultHeaders: { 'x-tokenpak-provider': 'tokenpak-claude-code' },
    });
    const final = await client.messages.stream({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: CANNED.anthropicStreamText.join('') })]);
    expect(rawHeader(upstream.requests[0]!.rawHeaders, 'authorization')).toBe('Bearer sk-ant-oat01-caller-token');
  });

  test("no caller credentials → the companion's 502 with the install hint; nothing forwarded", async () => {
    const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: COMPANION_HEADERS, body: MESSAGES_BODY });
    expect(response.status).toBe(502);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(JSON.parse(response.body.toString('utf8')).error.message).toContain('could not find the claude CLI');
    expect(upstream.requests).toHaveLength(0);
  });

  test('companion.fallbackToCaller false → the 502 stays, even with credentials', async () => {
    const strict = await startProxy({ providers: upstreamsAt(upstream.url), companion: { command: MISSING_CLI, fallbackToCaller: false } });
    try {
      const response = await rawRequest(`${strict.url}/v1/messages`, {
        method: 'POST',
        headers: { ...COMPANION_HEADERS, 'x-api-key': 'sk-ant-api03-caller-own' },
        body: MESSAGES_BODY,
      });
      expect(response.status).toBe(502);
      expect(String(response.headers['x-tokenpak-route'])).not.toContain('fallback=');
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await strict.stop();
    }
  });

  test('a configured `unavailable` rule sends it to the named provider instead', async () => {
    const other = await startMockUpstream();
    const configured = await startProxy({
      providers: {
        ...upstreamsAt(upstream.url),
        'tokenpak-claude-code': { upstream: upstream.url, fallback: [{ provider: 'spare', on: ['unavailable'] }] },
        spare: { upstream: other.url },
      },
      companion: { command: MISSING_CLI, fallbackToCaller: false },
    });
    try {
      const response = await rawRequest(`${configured.url}/v1/messages`, { method: 'POST', headers: COMPANION_HEADERS, body: MESSAGES_BODY });
      expect(response.status).toBe(200);
      expect(String(response.headers['x-tokenpak-route'])).toMatch(/; fallback=spare \(unavailable\)$/);
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]!.body.toString('utf8')).toBe(MESSAGES_BODY);
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await configured.stop();
      await other.close();
    }
  });
});
