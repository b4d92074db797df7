import { parseRouteHeader } from '@tokenpak/core';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { CANNED } from '../support/canned-responses';
import { rawHeader, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { CALLER_KEY, MODEL, sdk, sessionHeaders, startCompanionProxy, COLD } from './support/companion-harness';
import { createFakeClaude, type FakeClaude } from './support/fake-claude';

const request = { model: MODEL, max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('the CLI child: environment and working directory', () => {
  let fake: FakeClaude;
  let proxy: RunningProxy;
  const saved = { ...process.env };

  beforeAll(async () => {
    fake = createFakeClaude();
    proxy = await startCompanionProxy(fake, COLD);
  });
  afterAll(async () => {
    process.env = saved;
    await proxy.stop();
    fake.cleanup();
  });

  test('no ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN, nothing pointing back at TokenPak, no caller credentials', async () => {
    const port = new URL(proxy.url).port;
    Object.assign(process.env, {
      ANTHROPIC_BASE_URL: proxy.url,
      ANTHROPIC_API_KEY: 'sk-ant-api03-from-the-proxy-env',
      ANTHROPIC_AUTH_TOKEN: 'sk-ant-oat01-from-the-proxy-env',
      ANTHROPIC_CUSTOM_HEADERS: 'x-api-key: sk-ant-api03-custom',
      OPENAI_BASE_URL: `${proxy.url}/v1`,
      TOKENPAK_AUTH_TOKEN: 'tokenpak-shared-secret-123456',
      HTTPS_PROXY: `http://127.0.0.1:${port}`,
      CLAUDECODE: '1',
      HTTP_PROXY: 'http://proxy.corp.example:3128',
      KEEP_ME: 'kept',
    });
    await sdk(proxy, { ...sessionHeaders('env-check'), 'X-Caller-Secret': 'caller-header-secret' }).messages.create(request);
    const [run] = fake.runs();
    for (const name of [
      'ANTHROPIC_BASE_URL',
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_AUTH_TOKEN',
      'ANTHROPIC_CUSTOM_HEADERS',
      'OPENAI_BASE_URL',
      'TOKENPAK_AUTH_TOKEN',
      'HTTPS_PROXY',
      'CLAUDECODE',
    ]) {
      expect(run!.env).not.toHaveProperty(name);
    }
    expect(run!.env).toMatchObject({ KEEP_ME: 'kept', HTTP_PROXY: 'http://proxy.corp.example:3128', PATH: process.env.PATH });
    const everythingTheChildGot = JSON.stringify({ env: run!.env, argv: run!.argv, stdin: run!.stdin });
    expect(everythingTheChildGot).not.toContain(CALLER_KEY);
    expect(everythingTheChildGot).not.toContain('caller-header-secret');
    expect(everythingTheChildGot).not.toContain(`127.0.0.1:${port}`);
  });

  test('the working directory is companion.cwd (default <state.dir>/companion), created on first use', () => {
    const expected = path.join(proxy.dir, 'state', 'companion');
    expect(existsSync(expected)).toBe(true);
    expect(realpathSync(fake.runs()[0]!.cwd)).toBe(realpathSync(expected));
  });
});

describe('TOKENPAK_COMPANION_DISPATCH=0', () => {
  let fake: FakeClaude;
  let upstream: MockUpstream;
  let off: RunningProxy;
  let on: RunningProxy;

  beforeAll(async () => {
    fake = createFakeClaude();
    upstream = await startMockUpstream();
    off = await startCompanionProxy(fake, COLD, { config: { providers: upstreamsAt(upstream.url) }, env: { TOKENPAK_COMPANION_DISPATCH: '0' } });
    on = await startCompanionProxy(fake, COLD, { config: { providers: upstreamsAt(upstream.url) } });
  });
  afterAll(async () => {
    await Promise.all([off.stop(), on.stop()]);
    await upstream.close();
    fake.cleanup();
  });
  beforeEach(async () => {
    await fake.clearRuns();
    upstream.requests.splice(0);
  });

  test('the same request goes to the mock upstream over HTTP, with the caller credentials, and no CLI runs', async () => {
    const { data, response } = await sdk(off, sessionHeaders('dispatch-off')).messages.create(request).withResponse();
    expect(data).toMatchObject(CANNED.anthropicMessage);
    expect(parseRouteHeader(response.headers.get('x-tokenpak-route')!)).toMatchObject({ provider: 'tokenpak-claude-code', backend: 'oauth', via: 'http' });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.url).toBe('/v1/messages');
    expect(rawHeader(upstream.requests[0]!.rawHeaders, 'authorization') ?? rawHeader(upstream.requests[0]!.rawHeaders, 'x-api-key')).toContain(CALLER_KEY);
    expect(fake.runs()).toHaveLength(0);
  });

  test('with dispatch on, that request runs the CLI and nothing reaches the upstream', async () => {
    const { response } = await sdk(on, sessionHeaders('dispatch-on')).messages.create(request).withResponse();
    expect(parseRouteHeader(response.headers.get('x-tokenpak-route')!).via).toBe('companion');
    expect(fake.runs()).toHaveLength(1);
    expect(upstream.requests).toHaveLength(0);
  });

  test('the dry run says which, and why', async () => {
    const explain = async (proxy: RunningProxy) =>
      (await (
        await fetch(`${proxy.url}/tokenpak/route`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: '/v1/messages', headers: sessionHeaders('dry') }),
        })
      ).json()) as { decision: { via: string }; reasons: string[] };
    const whenOn = await explain(on);
    expect(whenOn.decision.via).toBe('companion');
    expect(whenOn.reasons.some((reason) => reason.startsWith('via: companion'))).toBe(true);
    const whenOff = await explain(off);
    expect(whenOff.decision.via).toBe('http');
    expect(whenOff.reasons.some((reason) => reason.includes('companion dispatch is off'))).toBe(true);
  });
});
