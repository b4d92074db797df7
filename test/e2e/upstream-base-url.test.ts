import Anthropic from '@anthropic-ai/sdk';
import { redactText } from '@tokenpak/core';
import OpenAI from 'openai';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, type RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/**
 * Issue 9.6 (a provider's upstream is a base URL; a trailing `/v1` is recognised) and
 * issue 12.7 (credentials embedded in an upstream URL are refused at config load and
 * never printed).
 */

describe('upstream base URLs', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({
      providers: {
        'tokenpak-anthropic': { upstream: `${upstream.url}/coding/v1` },
        'tokenpak-openai': { upstream: `${upstream.url}/gateway/v1/` },
        'tokenpak-claude-code': { upstream: `${upstream.url}/plain` },
        'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex` },
      },
      companion: { dispatch: false },
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  test('with upstream …/coding/v1, the Anthropic SDK and a Claude Code style /v1/messages?beta=true reach /coding/v1/messages (no doubled /v1)', async () => {
    const client = new Anthropic({ apiKey: 'sk-ant-api03-base-url-test', baseURL: proxy.url, maxRetries: 0 });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    const response = await rawRequest(`${proxy.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-base-url-test' },
      body: '{"model":"m","max_tokens":1,"messages":[]}',
    });
    expect(response.status).toBe(200);
    expect(upstream.requests.map((request) => request.url)).toEqual(['/coding/v1/messages', '/coding/v1/messages?beta=true']);
  });

  test('an OpenAI SDK call with upstream …/gateway/v1/ (trailing slash) reaches /gateway/v1/chat/completions', async () => {
    const client = new OpenAI({ apiKey: 'sk-proj-base-url-test', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests.map((request) => request.url)).toEqual(['/gateway/v1/chat/completions']);
  });

  test('a base without /v1 keeps the request path whole', async () => {
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tokenpak-provider': 'tokenpak-claude-code', authorization: 'Bearer sk-ant-oat01-base-url-test' },
      body: '{"model":"m","max_tokens":1,"messages":[]}',
    });
    expect(response.status).toBe(200);
    expect(upstream.requests.map((request) => request.url)).toEqual(['/plain/v1/messages']);
  });

  test('the dry run shows the same upstream URL the proxy uses', async () => {
    const dry = JSON.parse(
      (
        await rawRequest(`${proxy.url}/tokenpak/route`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ path: '/v1/messages?beta=true', headers: { 'x-api-key': 'sk-ant-api03-base-url-test' } }),
        })
      ).body.toString(),
    ) as { decision: { upstreamUrl: string } };
    expect(dry.decision.upstreamUrl).toBe(`${upstream.url}/coding/v1/messages?beta=true`);
  });
});

describe('credentials embedded in an upstream URL', () => {
  const temp = makeTempDir();
  const PASSWORD = 'hunter2-URLSECRET-pw';
  afterAll(() => temp.cleanup());

  const writeConfig = (name: string, config: unknown): string => {
    const dir = path.join(temp.dir, name);
    mkdirSync(dir, { recursive: true });
    const configPath = path.join(dir, 'tokenpak.config.json');
    writeFileSync(configPath, JSON.stringify(config));
    return configPath;
  };

  test.each([
    [
      'a built-in provider',
      { providers: { 'tokenpak-anthropic': { upstream: `http://gateway-user:${PASSWORD}@127.0.0.1:9/coding/v1` } } },
      'providers.tokenpak-anthropic.upstream',
    ],
    ['a custom provider', { providers: { 'corp-gateway': { upstream: `https://:${PASSWORD}@gateway.invalid` } } }, 'providers.corp-gateway.upstream'],
  ])('%s: refused at config load by config, start and route, with a clear message and no password anywhere', (_name, config, key) => {
    const configPath = writeConfig(key.replace(/\W/g, '-'), config);
    const outputs: string[] = [];
    for (const args of [['config'], ['start'], ['route', '--path', '/v1/messages'], ['plugins']]) {
      const result = runCli([...args, '--config', configPath], { env: { HOME: temp.dir, TOKENPAK_PORT: '0' } });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(key);
      expect(result.stderr).toContain('must not contain credentials');
      outputs.push(result.stdout, result.stderr);
    }
    const all = outputs.join('\n');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('URLSECRET');
  });

  test('log redaction masks URL userinfo wherever a URL appears in text', () => {
    expect(redactText(`connect failed: http://gateway-user:${PASSWORD}@127.0.0.1:9/coding/v1 (ECONNREFUSED)`)).toBe(
      'connect failed: http://<redacted>@127.0.0.1:9/coding/v1 (ECONNREFUSED)',
    );
  });

  test('a plugin provider with credentials in its upstream is refused and the password is not reported', async () => {
    const pluginsDir = path.join(temp.dir, 'plugins');
    mkdirSync(path.join(pluginsDir, 'userinfo'), { recursive: true });
    writeFileSync(
      path.join(pluginsDir, 'userinfo', 'index.ts'),
      `export default { name: 'userinfo', apiVersion: 1, setup(ctx) { ctx.providers.register({ name: 'userinfo-gw', upstream: 'http://u:${PASSWORD}@127.0.0.1:9' }); } };`,
    );
    const proxy = await startProxy({ plugins: { dirs: [pluginsDir] } });
    try {
      const report = proxy.tokenpak.plugins.find((plugin) => plugin.name === 'userinfo');
      expect(report).toMatchObject({ state: 'failed', reason: expect.stringContaining('must not contain credentials') });
      const status = (await rawRequest(`${proxy.url}/tokenpak/status`)).body.toString();
      expect(status).toContain('userinfo');
      expect(status + JSON.stringify(proxy.tokenpak.plugins) + proxy.logs.join('')).not.toContain(PASSWORD);
    } finally {
      await proxy.stop();
    }
  });
});
