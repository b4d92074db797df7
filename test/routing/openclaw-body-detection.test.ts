import { createLogger, createTokenPak, type RouteDecision, type TokenPak, type TokenPakConfigInput } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCaptures, type CapturedRequest } from '../support/captures';
import { makeTempDir } from '../support/temp-dir';

/**
 * OpenClaw's body phase in process (ARCHITECTURE §2.1/§2.2, issue part 7): the real
 * captures are recognised from their body, with the session id from the `Runtime:` line;
 * only requests whose headers fingerprint OpenClaw's transports are offered to the body
 * phase; the plugin's settings switch it off, add user-agent prefixes and change the
 * default provider.
 */

/** The session id on each capture's `Runtime: … sessionId=<uuid>` line (read off the fixture). */
const CAPTURE_SESSIONS: Record<string, string> = {
  '01-agent-exec-anthropic': 'ca7bd9a2-f17a-46d1-899e-4bed7f0b49e4',
  '04-custom-openai-responses': 'df2a2d89-937f-442c-afbf-6b2980fff28e',
  '05-custom-openai-completions': '79f34c5d-f657-4ffc-a427-d6a6b6770ce8',
};

const OPENCLAW = loadCaptures('openclaw');
const temp = makeTempDir('tokenpak-body-detect-');
const instances: TokenPak[] = [];

async function tokenpakWith(config: TokenPakConfigInput, name: string): Promise<TokenPak> {
  const configPath = path.join(temp.dir, `${name}.config.json`);
  writeFileSync(configPath, JSON.stringify({ state: { dir: path.join(temp.dir, 'state') }, companion: { dispatch: false }, ...config }));
  const tokenpak = await createTokenPak({ configPath, env: { HOME: temp.dir }, logger: createLogger('silent') });
  instances.push(tokenpak);
  return tokenpak;
}

afterAll(async () => {
  for (const tokenpak of instances) await tokenpak.shutdown();
  temp.cleanup();
});

function headersOf(record: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) headers.append(name, value);
  return headers;
}

function splitUrl(url: string): { path: string; search: string } {
  const mark = url.indexOf('?');
  return mark === -1 ? { path: url, search: '' } : { path: url.slice(0, mark), search: url.slice(mark) };
}

function routeCapture(
  tokenpak: TokenPak,
  capture: CapturedRequest,
  headers: Record<string, string> = capture.headers,
  body: unknown = capture.bodyJson,
): RouteDecision {
  return tokenpak.resolver.resolve({ method: capture.method, ...splitUrl(capture.url), headers: headersOf(headers) }, body);
}

const without = (record: Record<string, string>, ...names: string[]): Record<string, string> =>
  Object.fromEntries(Object.entries(record).filter(([name]) => !names.includes(name.toLowerCase())));

describe('OpenClaw body detection with default settings', () => {
  let tokenpak: TokenPak;
  beforeAll(async () => {
    tokenpak = await tokenpakWith({}, 'default');
  });

  test('the fixtures are the three captured OpenClaw model calls, with no OpenClaw header', () => {
    expect(OPENCLAW.map((capture) => capture.tag).sort()).toEqual(Object.keys(CAPTURE_SESSIONS).sort());
    for (const capture of OPENCLAW) {
      expect(Object.keys(capture.headers).filter((name) => name.startsWith('x-openclaw'))).toEqual([]);
      expect(JSON.stringify(capture.bodyJson)).toContain(`sessionId=${CAPTURE_SESSIONS[capture.tag]}`);
    }
  });

  test.each(OPENCLAW.map((capture) => [capture.tag, capture] as const))('%s routes platform=openclaw with the session from the body', (_tag, capture) => {
    const request = { method: capture.method, ...splitUrl(capture.url), headers: headersOf(capture.headers) };
    expect(tokenpak.resolver.inspect(request).bodyWanters.map((signal) => signal.name)).toEqual(['openclaw']);
    const decision = routeCapture(tokenpak, capture);
    expect(decision).toMatchObject({
      platform: 'openclaw',
      sessionId: CAPTURE_SESSIONS[capture.tag],
      provider: 'tokenpak-claude-code',
      providerSource: 'signal:openclaw',
      routeClass: 'claude-code-cli',
      backend: 'oauth',
      via: 'http',
    });
  });

  test('headers alone (no body given) do not identify OpenClaw', () => {
    const capture = OPENCLAW[0]!;
    const decision = tokenpak.resolver.resolve({ method: 'POST', ...splitUrl(capture.url), headers: headersOf(capture.headers) });
    expect(decision.platform).toBeNull();
  });

  test.each([
    ['without sec-fetch-mode', ['sec-fetch-mode']],
    ['without accept-language', ['accept-language']],
    ['without either', ['sec-fetch-mode', 'accept-language']],
  ])('an OpenClaw-shaped body %s is not wanted, so not inspected: platform=none', (_name, dropped) => {
    for (const capture of OPENCLAW) {
      const headers = without(capture.headers, ...dropped);
      const request = { method: 'POST', ...splitUrl(capture.url), headers: headersOf(headers) };
      expect(tokenpak.resolver.inspect(request).bodyWanters).toEqual([]);
      const decision = routeCapture(tokenpak, capture, headers);
      expect(decision.platform).toBeNull();
      expect(decision.sessionId).toBeNull();
      expect(decision.reasons.join('\n')).not.toMatch(/body/i);
    }
  });

  test('Claude Code and Codex captures are never offered to the body phase', () => {
    for (const capture of [...loadCaptures('claude-code'), ...loadCaptures('codex')]) {
      const request = { method: capture.method, ...splitUrl(capture.url), headers: headersOf(capture.headers) };
      expect({ tag: capture.tag, url: capture.url, wanters: tokenpak.resolver.inspect(request).bodyWanters.length }).toEqual({
        tag: capture.tag,
        url: capture.url,
        wanters: 0,
      });
    }
  });

  test('a GET with fingerprint headers is not offered to the body phase', () => {
    const headers = headersOf({ 'user-agent': 'undici', 'sec-fetch-mode': 'cors', 'accept-language': '*' });
    expect(tokenpak.resolver.inspect({ method: 'GET', path: '/v1/models', search: '', headers }).bodyWanters).toEqual([]);
  });

  test('the marker must open the FIRST system block', () => {
    const capture = OPENCLAW.find((item) => item.tag === '01-agent-exec-anthropic')!;
    const body = structuredClone(capture.bodyJson) as { system: Array<{ type: string; text: string }> };
    body.system.unshift({ type: 'text', text: 'You are a helpful assistant.' });
    const decision = routeCapture(tokenpak, capture, capture.headers, body);
    expect(decision.platform).toBeNull();
    expect(decision.reasons.join('\n')).toMatch(/body/i);
  });

  test('the marker without a Runtime line → openclaw with no session', () => {
    const body = {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      system: [{ type: 'text', text: '<!-- openclaw:attempt:STABLE -->\nYou are a personal assistant running inside OpenClaw.' }],
    };
    const decision = routeCapture(tokenpak, OPENCLAW[0]!, OPENCLAW[0]!.headers, body);
    expect(decision).toMatchObject({ platform: 'openclaw', sessionId: null, provider: 'tokenpak-claude-code', providerSource: 'signal:openclaw' });
  });

  test('a body that is not an object, or has no system prompt, is not OpenClaw', () => {
    for (const body of [null, 'text', 42, [], { model: 'm', messages: [] }]) {
      expect(routeCapture(tokenpak, OPENCLAW[0]!, OPENCLAW[0]!.headers, body).platform).toBeNull();
    }
  });

  test('a header signal wins over the body: X-OpenClaw-Session gives the session', () => {
    const capture = OPENCLAW[0]!;
    const decision = routeCapture(tokenpak, capture, { ...capture.headers, 'x-openclaw-session': 'from-the-header' });
    expect(decision).toMatchObject({ platform: 'openclaw', sessionId: 'from-the-header' });
  });

  test('body-detected OpenClaw with X-TokenPak-Provider: the header decides the provider, the body still gives the session', () => {
    const capture = OPENCLAW.find((item) => item.tag === '01-agent-exec-anthropic')!;
    const decision = routeCapture(tokenpak, capture, { ...capture.headers, 'x-tokenpak-provider': 'tokenpak-anthropic' });
    expect(decision).toMatchObject({
      platform: 'openclaw',
      sessionId: CAPTURE_SESSIONS[capture.tag],
      provider: 'tokenpak-anthropic',
      providerSource: 'header',
      routeClass: 'anthropic-sdk',
      backend: 'api', // the capture sends x-api-key
    });
  });

  test('body-detected OpenClaw with X-TokenPak-Backend api', () => {
    const capture = OPENCLAW.find((item) => item.tag === '05-custom-openai-completions')!;
    const decision = routeCapture(tokenpak, capture, { ...capture.headers, 'x-tokenpak-backend': 'api' });
    expect(decision).toMatchObject({
      platform: 'openclaw',
      sessionId: CAPTURE_SESSIONS[capture.tag],
      provider: 'tokenpak-anthropic',
      providerSource: 'backend-header',
      backend: 'api',
    });
  });
});

describe('plugins.settings.openclaw', () => {
  test('detectFromBody: false turns body detection off (headers still work)', async () => {
    const tokenpak = await tokenpakWith({ plugins: { settings: { openclaw: { detectFromBody: false } } } }, 'no-body');
    for (const capture of OPENCLAW) {
      const request = { method: 'POST', ...splitUrl(capture.url), headers: headersOf(capture.headers) };
      expect(tokenpak.resolver.inspect(request).bodyWanters).toEqual([]);
      expect(routeCapture(tokenpak, capture).platform).toBeNull();
    }
    expect(routeCapture(tokenpak, OPENCLAW[0]!, { 'user-agent': 'OpenClaw/1' }).platform).toBe('openclaw');
    expect(routeCapture(tokenpak, OPENCLAW[0]!, { 'x-openclaw-session': 'hdr-1' }).sessionId).toBe('hdr-1');
  });

  test('userAgentPrefixes add prefixes (case-insensitive); openclaw itself still matches', async () => {
    const tokenpak = await tokenpakWith({ plugins: { settings: { openclaw: { userAgentPrefixes: ['My-Claw', '  hermes-agent  '] } } } }, 'prefixes');
    const route = (userAgent: string) =>
      tokenpak.resolver.resolve({ method: 'POST', path: '/v1/messages', search: '', headers: headersOf({ 'user-agent': userAgent }) });
    expect(route('my-claw/2.0')).toMatchObject({ platform: 'openclaw', provider: 'tokenpak-claude-code', providerSource: 'signal:openclaw', backend: 'oauth' });
    expect(route('MY-CLAW')).toMatchObject({ platform: 'openclaw' });
    expect(route('Hermes-Agent/1.4')).toMatchObject({ platform: 'openclaw' });
    expect(route('OpenClaw-Gateway/1.0')).toMatchObject({ platform: 'openclaw' });
    expect(route('not-my-claw/1.0').platform).toBeNull();
    expect(route('curl/8').platform).toBeNull();
  });

  test('defaultProvider changes the provider of header- and body-detected OpenClaw traffic', async () => {
    const tokenpak = await tokenpakWith({ plugins: { settings: { openclaw: { defaultProvider: 'tokenpak-anthropic' } } } }, 'provider');
    const byHeader = tokenpak.resolver.resolve({
      method: 'POST',
      path: '/v1/messages',
      search: '',
      headers: headersOf({ 'user-agent': 'openclaw', authorization: 'Bearer sk-ant-oat01-SETTINGSoauth-0001' }),
    });
    expect(byHeader).toMatchObject({
      platform: 'openclaw',
      provider: 'tokenpak-anthropic',
      providerSource: 'signal:openclaw',
      routeClass: 'anthropic-sdk',
      backend: 'oauth',
    });

    const capture = OPENCLAW.find((item) => item.tag === '01-agent-exec-anthropic')!;
    expect(routeCapture(tokenpak, capture)).toMatchObject({
      platform: 'openclaw',
      sessionId: CAPTURE_SESSIONS[capture.tag],
      provider: 'tokenpak-anthropic',
      providerSource: 'signal:openclaw',
      routeClass: 'anthropic-sdk',
      backend: 'api', // x-api-key in the capture
    });
  });

  test('plugins.disabled: ["openclaw"] removes every OpenClaw rule', async () => {
    const tokenpak = await tokenpakWith({ plugins: { disabled: ['openclaw'] } }, 'disabled');
    expect(routeCapture(tokenpak, OPENCLAW[0]!).platform).toBeNull();
    expect(routeCapture(tokenpak, OPENCLAW[0]!, { 'user-agent': 'openclaw' }).platform).toBeNull();
  });
});
