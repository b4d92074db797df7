import { parseRouteHeader } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { captureBody, loadCaptures, replayHeaders, type CapturedRequest } from '../support/captures';
import { rawRequest } from '../support/http-client';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, type RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/**
 * Issue 9.1 / ARCHITECTURE §2.2 (codex row): Codex traffic is routed by its credential.
 * Measured with Codex CLI 0.169.0 configured per the README for an API key
 * (`wire_api = "responses"`, `env_key`): it sends `originator: codex_exec` and
 * `Authorization: Bearer sk-…` to `/v1/responses` (captures 01–03), which the ChatGPT
 * backend answers with 401. Such traffic must reach the OpenAI API (path kept) even when
 * `codex-login` is configured; a ChatGPT login (a JWT) goes to the Codex backend.
 */

const LOGIN_TOKEN = 'eyJcodex-login-file.token.never-used-for-keys';

describe('Codex routed by credential', () => {
  let openai: MockUpstream;
  let codex: MockUpstream;
  let proxy: RunningProxy;
  const temp = makeTempDir();

  const captures = loadCaptures('codex');
  const apiKeyCaptures = captures.filter((capture) => /^Bearer sk-/.test(capture.headers.authorization ?? ''));
  const jwtResponses = captures.find((capture) => capture.url === '/backend-api/codex/responses' && /^Bearer eyJ/.test(capture.headers.authorization ?? ''))!;

  beforeAll(async () => {
    openai = await startMockUpstream();
    codex = await startMockUpstream();
    const loginFile = path.join(temp.dir, 'codex-auth.json');
    writeFileSync(loginFile, JSON.stringify({ tokens: { access_token: LOGIN_TOKEN, account_id: 'acct-login' } }));
    proxy = await startProxy({
      providers: {
        'tokenpak-openai': { upstream: openai.url },
        'tokenpak-openai-codex': { upstream: `${codex.url}/backend-api/codex`, credentials: 'codex-login' },
      },
      credentials: { codex: loginFile },
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await openai.close();
    await codex.close();
    temp.cleanup();
  });
  beforeEach(() => {
    openai.requests.splice(0);
    codex.requests.splice(0);
  });

  const replay = async (capture: CapturedRequest, override: Record<string, string> = {}) => {
    const body = captureBody(capture);
    const headers = replayHeaders(capture, body, new URL(proxy.url).host);
    for (const [name, value] of Object.entries(override)) {
      const index = headers.findIndex((item, i) => i % 2 === 0 && item.toLowerCase() === name);
      headers[index + 1] = value;
    }
    const response = await rawRequest(`${proxy.url}${capture.url}`, { method: capture.method, headers, body });
    return { response, body, route: parseRouteHeader(String(response.headers['x-tokenpak-route'])) };
  };

  test('the captures include Codex API-key requests with a session id', () => {
    expect(apiKeyCaptures.length).toBeGreaterThanOrEqual(3);
    for (const capture of apiKeyCaptures) expect(capture.headers['session-id']).toBeTruthy();
  });

  test.each(apiKeyCaptures.map((capture) => [`${capture.tag} #${capture.seq}`, capture] as const))(
    '%s (sk- key) → the OpenAI mock on /v1/responses, caller key kept, codex-login not applied',
    async (_name, capture) => {
      const { response, body, route } = await replay(capture);
      expect(response.status).toBe(200);
      expect(route).toMatchObject({
        platform: 'codex',
        session: capture.headers['session-id'],
        provider: 'tokenpak-openai',
        source: 'signal:codex',
        backend: 'api',
      });
      expect(codex.requests).toHaveLength(0);
      expect(openai.requests).toHaveLength(1);
      const received = openai.requests[0]!;
      expect(received.url).toBe('/v1/responses');
      expect(received.bodySha256).toBe(sha256(body!));
      expect(rawHeader(received.rawHeaders, 'authorization')).toBe(capture.headers.authorization);
      expect(rawHeader(received.rawHeaders, 'chatgpt-account-id')).toBeUndefined();
    },
  );

  test('the same Codex request with a ChatGPT JWT → the Codex mock on …/responses, the caller token kept', async () => {
    const capture = apiKeyCaptures[0]!;
    const jwt = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjb2RleC11c2VyIn0.c2ln';
    const { response, body, route } = await replay(capture, { authorization: jwt });
    expect(response.status).toBe(200);
    expect(route).toMatchObject({ platform: 'codex', session: capture.headers['session-id'], provider: 'tokenpak-openai-codex', backend: 'codex' });
    expect(openai.requests).toHaveLength(0);
    expect(codex.requests[0]!.url).toBe('/backend-api/codex/responses');
    expect(codex.requests[0]!.bodySha256).toBe(sha256(body!));
    expect(rawHeader(codex.requests[0]!.rawHeaders, 'authorization')).toBe(jwt);
  });

  test('the captured ChatGPT-login request on /backend-api/codex/responses → the Codex mock, session from session-id', async () => {
    const { response, route } = await replay(jwtResponses);
    expect(response.status).toBe(200);
    expect(route).toMatchObject({ platform: 'codex', session: jwtResponses.headers['session-id'], provider: 'tokenpak-openai-codex', backend: 'codex' });
    expect(codex.requests[0]!.url).toBe('/backend-api/codex/responses');
    expect(openai.requests).toHaveLength(0);
  });

  test('Codex with no credential → the Codex mock with the local Codex login', async () => {
    const capture = apiKeyCaptures[0]!;
    const body = captureBody(capture)!;
    const headers = replayHeaders(capture, body, new URL(proxy.url).host).filter((_item, i, all) => all[i - (i % 2)]!.toLowerCase() !== 'authorization');
    const response = await rawRequest(`${proxy.url}/v1/responses`, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    expect(parseRouteHeader(String(response.headers['x-tokenpak-route']))).toMatchObject({ platform: 'codex', provider: 'tokenpak-openai-codex' });
    expect(rawHeader(codex.requests[0]!.rawHeaders, 'authorization')).toBe(`Bearer ${LOGIN_TOKEN}`);
  });

  test('X-TokenPak-Provider still wins over the credential rule', async () => {
    const { response, route } = await replay(apiKeyCaptures[0]!);
    expect(route.provider).toBe('tokenpak-openai');
    const body = captureBody(apiKeyCaptures[0]!)!;
    const headers = [...replayHeaders(apiKeyCaptures[0]!, body, new URL(proxy.url).host), 'X-TokenPak-Provider', 'tokenpak-openai-codex'];
    openai.requests.splice(0);
    const forced = await rawRequest(`${proxy.url}/v1/responses`, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    expect(forced.status).toBe(200);
    expect(parseRouteHeader(String(forced.headers['x-tokenpak-route']))).toMatchObject({
      platform: 'codex',
      provider: 'tokenpak-openai-codex',
      source: 'header',
    });
    expect(openai.requests).toHaveLength(0);
  });

  test('the dry run names the rule that chose the provider', async () => {
    const response = await rawRequest(`${proxy.url}/tokenpak/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/v1/responses', headers: { originator: 'codex_exec', authorization: 'Bearer sk-proj-DRYRUNsecret-0001' } }),
    });
    const text = response.body.toString('utf8');
    const dry = JSON.parse(text) as { decision: { provider: string; platform: string }; reasons: string[] };
    expect(dry.decision).toMatchObject({ platform: 'codex', provider: 'tokenpak-openai' });
    expect(dry.reasons.join('\n')).toMatch(/codex with an API key → the OpenAI API/);
    expect(text).not.toContain('DRYRUNsecret');
  });
});
