import { ERROR_CATALOGUE } from '../../packages/core/src/http/error-codes';
import { apiErrorBody, apiErrorEvent } from '../../packages/core/src/http/api-errors';
import { rawRequest, type RawResponse } from '../support/http-client';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/** The one error responder (docs/ARCHITECTURE.md §9): every TokenPak-made error names a catalogue code. */
describe('error codes', () => {
  let proxy: RunningProxy;

  beforeAll(async () => {
    // A closed loopback port: every forward fails before the first byte, and nothing leaves loopback.
    proxy = await startProxy({ providers: upstreamsAt('http://127.0.0.1:9'), companion: { dispatch: false } });
  });
  afterAll(async () => {
    await proxy.stop();
  });

  const codeOf = (response: RawResponse): unknown => (JSON.parse(response.body.toString('utf8')) as { error: { code: unknown } }).error.code;

  function expectTokenPakError(response: RawResponse, status: number, code: keyof typeof ERROR_CATALOGUE): void {
    expect(response.status).toBe(status);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(codeOf(response)).toBe(code);
  }

  test('both API shapes carry the code, in bodies and in SSE error events', () => {
    const error = { code: 'upstream_timeout' as const, status: 504, message: 'slow' };
    expect(JSON.parse(apiErrorBody('anthropic', error))).toEqual({
      type: 'error',
      error: { type: 'timeout_error', message: 'slow', code: 'upstream_timeout' },
    });
    expect(JSON.parse(apiErrorBody('openai', error))).toEqual({ error: { message: 'slow', type: 'server_error', param: null, code: 'upstream_timeout' } });
    expect(apiErrorEvent('anthropic', error)).toContain('"code":"upstream_timeout"');
  });

  test('an unknown path: not_served, in the caller shape', async () => {
    expectTokenPakError(await rawRequest(`${proxy.url}/nowhere`), 404, 'not_served');
  });

  test('an unreachable upstream: upstream_unreachable on the Anthropic and the OpenAI paths', async () => {
    const anthropic = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-error-codes', 'anthropic-version': '2023-06-01' },
      body: '{}',
    });
    expectTokenPakError(anthropic, 502, 'upstream_unreachable');
    const openai = await rawRequest(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-proj-error-codes' },
      body: '{}',
    });
    expectTokenPakError(openai, 502, 'upstream_unreachable');
    expect(openai.body.toString('utf8')).not.toContain('sk-proj-error-codes');
  });

  test('the guard and the control endpoints answer through the same responder', async () => {
    expectTokenPakError(await rawRequest(`${proxy.url}/v1/models`, { headers: { host: 'evil.example' } }), 403, 'host_rejected');
    expectTokenPakError(await rawRequest(`${proxy.url}/v1/models`, { headers: { origin: 'https://evil.example' } }), 403, 'origin_rejected');
    expectTokenPakError(await rawRequest(`${proxy.url}/tokenpak/route`, { method: 'POST', body: 'not json' }), 400, 'invalid_body');
    expectTokenPakError(await rawRequest(`${proxy.url}/tokenpak/requests?limit=nope`), 400, 'invalid_body');
  });

  test('every catalogue status is an error status', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect([code, entry.status >= 400 && entry.status < 600]).toEqual([code, true]);
    }
  });
});
