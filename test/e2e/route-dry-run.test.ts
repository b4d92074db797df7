import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/**
 * The dry run (`tokenpak route`, `POST /tokenpak/route`): same decision as the proxy,
 * the rules that fired, credentials redacted, nothing sent, bad input rejected cleanly.
 * Needs the built CLI (`npm run build`).
 */

interface DryRun {
  request: { method: string; path: string; headers: Record<string, string> };
  decision: {
    platform: string | null;
    sessionId: string | null;
    provider: string | null;
    providerSource: string;
    routeClass: string;
    backend: string;
    via: string;
  };
  routeHeader: string;
  reasons: string[];
}

const CREDENTIALS = {
  'x-api-key': 'sk-ant-api03-DRYRUNkey-00000000001',
  authorization: 'Bearer sk-ant-oat01-DRYRUNoauth-0000002',
  cookie: 'sessionKey=sk-ant-sid01-DRYRUNcookie-00003; other=plain-cookie-value-77',
  'chatgpt-account-id': 'acct-DRYRUN-000004',
  'x-custom-auth-token': 'custom-DRYRUN-secret-000005',
} as const;
const SECRET_PARTS = [
  'DRYRUNkey-00000000001',
  'DRYRUNoauth-0000002',
  'DRYRUNcookie-00003',
  'plain-cookie-value-77',
  'acct-DRYRUN-000004',
  'custom-DRYRUN-secret-000005',
];

const OPENCLAW_SESSION = '3d9c8a47-0b4e-4f51-9a7e-5f1c2b3a4d5e';
const openclawBody = {
  model: 'claude-sonnet-4-5',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'say hi' }] }],
  max_tokens: 64,
  stream: true,
  system: [
    { type: 'text', text: '<!-- openclaw:attempt:STABLE -->\nYou are a personal assistant running inside OpenClaw.\n<!-- /openclaw:attempt:STABLE -->' },
    {
      type: 'text',
      text: `<!-- openclaw:attempt:DYNAMIC -->\nRuntime: agent=main | session=agent:main:explicit:${OPENCLAW_SESSION} | sessionId=${OPENCLAW_SESSION} | host=vm\n<!-- /openclaw:attempt:DYNAMIC -->`,
    },
  ],
};
const FINGERPRINT = { 'user-agent': 'undici', 'sec-fetch-mode': 'cors', 'accept-language': '*', 'content-type': 'application/json' };

describe('route dry run', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ companion: { dispatch: false }, providers: upstreamsAt(upstream.url) });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });

  async function post(body: string | object): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const response = await rawRequest(`${proxy.url}/tokenpak/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, text: response.body.toString('utf8') };
  }

  const cli = (args: string[]) => runCli(['route', '--config', proxy.configPath, ...args], { env: { HOME: proxy.dir } });

  test('POST /tokenpak/route echoes credentials as <redacted:N>, and no secret appears anywhere in the answer', async () => {
    const response = await post({ path: '/v1/messages', headers: { 'User-Agent': 'openclaw', ...CREDENTIALS } });
    expect(response.status).toBe(200);
    const dry = JSON.parse(response.text) as DryRun;
    for (const [name, value] of Object.entries(CREDENTIALS)) expect(dry.request.headers[name]).toBe(`<redacted:${value.length}>`);
    expect(dry.request.headers['user-agent']).toBe('openclaw');
    for (const secret of SECRET_PARTS) expect(response.text).not.toContain(secret);
    expect(dry.routeHeader).toBe(
      'platform=openclaw; session=none; provider=tokenpak-claude-code; source=signal:openclaw; class=claude-code-cli; backend=oauth; via=http',
    );
  });

  test('tokenpak route --json redacts the same way, and gives the same answer as POST /tokenpak/route', async () => {
    const args = ['--json', '-H', 'User-Agent: openclaw'];
    for (const [name, value] of Object.entries(CREDENTIALS)) args.push('-H', `${name}: ${value}`);
    const result = cli(args);
    expect(result.code).toBe(0);
    for (const secret of SECRET_PARTS) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
    const dry = JSON.parse(result.stdout) as DryRun;
    for (const [name, value] of Object.entries(CREDENTIALS)) expect(dry.request.headers[name]).toBe(`<redacted:${value.length}>`);
    const viaHttp = JSON.parse((await post({ path: '/v1/messages', headers: { 'User-Agent': 'openclaw', ...CREDENTIALS } })).text) as DryRun;
    expect(dry.decision).toEqual(viaHttp.decision);
    expect(dry.reasons).toEqual(viaHttp.reasons);
    expect(dry.routeHeader).toBe(viaHttp.routeHeader);
  });

  test("the issue's done-means: `tokenpak route -H 'User-Agent: openclaw'` shows provider, backend and why", () => {
    const result = cli(['-H', 'User-Agent: openclaw', '-H', `authorization: ${CREDENTIALS.authorization}`]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      'platform=openclaw; session=none; provider=tokenpak-claude-code; source=signal:openclaw; class=claude-code-cli; backend=oauth; via=http',
    );
    expect(result.stdout).toMatch(/tokenpak-claude-code/);
    expect(result.stdout).toMatch(/backend:\s+oauth/);
    expect(result.stdout).toMatch(/why:\n\s+1\. .*openclaw/);
    expect(result.stdout).not.toContain('DRYRUNoauth');
  });

  test('a dry run sends nothing upstream', async () => {
    upstream.requests.splice(0);
    await post({ path: '/v1/messages', headers: { 'x-api-key': CREDENTIALS['x-api-key'] } });
    await post({ path: '/v1/responses', headers: { originator: 'codex_exec' }, method: 'POST' });
    cli(['-H', 'User-Agent: openclaw']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.requests).toHaveLength(0);
  });

  test('the reasons list the rules that fired, in order (signal → provider → class → backend)', async () => {
    const dry = JSON.parse(
      (await post({ path: '/v1/messages', headers: { 'X-OpenClaw-Session': 'oc-reasons-1', 'X-TokenPak-Backend': 'warp-drive' } })).text,
    ) as DryRun;
    const indexOf = (pattern: RegExp): number => dry.reasons.findIndex((reason) => pattern.test(reason));
    const signal = indexOf(/openclaw/);
    const unknown = indexOf(/warp-drive/);
    const backend = dry.reasons.findIndex((reason) => /backend/i.test(reason) && /oauth/.test(reason) && !reason.includes('warp-drive'));
    expect(signal).toBeGreaterThanOrEqual(0);
    expect(unknown).toBeGreaterThan(signal);
    expect(backend).toBeGreaterThan(unknown);
    expect(dry.decision).toMatchObject({
      platform: 'openclaw',
      sessionId: 'oc-reasons-1',
      provider: 'tokenpak-claude-code',
      providerSource: 'signal:openclaw',
      backend: 'oauth',
    });
  });

  test('a body is offered to body-inspecting signals only when the headers fingerprint OpenClaw', async () => {
    const withFingerprint = JSON.parse((await post({ path: '/v1/messages', headers: FINGERPRINT, body: openclawBody })).text) as DryRun;
    expect(withFingerprint.routeHeader).toBe(
      `platform=openclaw; session=${OPENCLAW_SESSION}; provider=tokenpak-claude-code; source=signal:openclaw; class=claude-code-cli; backend=oauth; via=http`,
    );

    const plain = JSON.parse(
      (await post({ path: '/v1/messages', headers: { 'user-agent': 'undici', 'content-type': 'application/json' }, body: openclawBody })).text,
    ) as DryRun;
    expect(plain.decision.platform).toBeNull();
    expect(plain.routeHeader).toBe('platform=none; session=none; provider=none; source=none; class=anthropic-sdk; backend=api; via=http');
    expect(plain.reasons.join('\n')).not.toMatch(/body/i);
  });

  test('tokenpak route --body <file> inspects the body like the proxy does', () => {
    const file = path.join(proxy.dir, 'openclaw-body.json');
    writeFileSync(file, JSON.stringify(openclawBody));
    const args = ['--json', '--body', file];
    for (const [name, value] of Object.entries(FINGERPRINT)) args.push('-H', `${name}: ${value}`);
    const result = cli(args);
    expect(result.code).toBe(0);
    const dry = JSON.parse(result.stdout) as DryRun;
    expect(dry.decision).toMatchObject({ platform: 'openclaw', sessionId: OPENCLAW_SESSION, provider: 'tokenpak-claude-code' });
  });

  describe('bad POST /tokenpak/route bodies get a 400 JSON error and the proxy keeps serving', () => {
    const cases: Array<[string, string]> = [
      ['not JSON', '{"path": "/v1/messages", "headers": '],
      ['empty body', ''],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
      ['a JSON string', '"hello"'],
      ['headers is an array', JSON.stringify({ path: '/v1/messages', headers: [['User-Agent', 'openclaw']] })],
      ['headers is a string', JSON.stringify({ path: '/v1/messages', headers: 'User-Agent: openclaw' })],
      ['headers is null', JSON.stringify({ path: '/v1/messages', headers: null })],
      ['a header value is a number', JSON.stringify({ path: '/v1/messages', headers: { 'x-count': 3 } })],
      ['a header name is invalid', JSON.stringify({ path: '/v1/messages', headers: { 'bad name': 'x' } })],
      ['a header value has a newline', JSON.stringify({ path: '/v1/messages', headers: { 'x-a': 'one\r\nx-b: two' } })],
      ['path is not a string', JSON.stringify({ path: 42, headers: {} })],
      ['path does not start with /', JSON.stringify({ path: 'v1/messages', headers: {} })],
      ['method is not a string', JSON.stringify({ path: '/v1/messages', method: ['POST'] })],
    ];

    test.each(cases)('%s', async (_name, body) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(String(response.headers['content-type'])).toMatch(/application\/json/);
      const error = JSON.parse(response.text) as { error?: { message?: unknown } };
      expect(typeof error.error?.message).toBe('string');

      const health = await rawRequest(`${proxy.url}/tokenpak/health`);
      expect(health.status).toBe(200);
    });

    test('after all of them, a good dry run and a proxied request still work', async () => {
      const good = await post({ path: '/v1/messages', headers: { 'User-Agent': 'openclaw' } });
      expect(good.status).toBe(200);
      const proxied = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': CREDENTIALS['x-api-key'] },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(proxied.status).toBe(200);
      expect(proxied.headers['x-tokenpak-route']).toBe('platform=none; session=none; provider=none; source=none; class=anthropic-sdk; backend=api; via=http');
    });
  });

  test('tokenpak route rejects a malformed -H cleanly (usage error, no stack trace)', () => {
    const result = cli(['-H', 'no-colon-here']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/-H/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
