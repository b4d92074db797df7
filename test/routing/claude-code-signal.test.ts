import { createLogger, createTokenPak, type TokenPak } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCaptures } from '../support/captures';
import { makeTempDir } from '../support/temp-dir';

/**
 * Issue 9.7 / ARCHITECTURE §2.2 (claude-code row): the built-in claude-code plugin names
 * platform `claude-code` and the session from `X-Claude-Code-Session-Id` (or recognises a
 * `claude-cli/` user agent), and names no provider: with the plugin disabled, every
 * capture routes to the same provider, class and backend.
 */

/** The model calls (the captures also hold Bun's `HEAD /` connectivity probes). */
const CLAUDE_CODE = loadCaptures('claude-code').filter((capture) => capture.url.startsWith('/v1/'));
const OPENCLAW = loadCaptures('openclaw');
const temp = makeTempDir('tokenpak-claude-code-signal-');
const instances: TokenPak[] = [];

async function tokenpakWith(disabled: string[], name: string): Promise<TokenPak> {
  const configPath = path.join(temp.dir, `${name}.config.json`);
  writeFileSync(configPath, JSON.stringify({ state: { dir: path.join(temp.dir, 'state') }, plugins: { disabled } }));
  const tokenpak = await createTokenPak({ configPath, env: { HOME: temp.dir }, logger: createLogger('silent') });
  instances.push(tokenpak);
  return tokenpak;
}

afterAll(async () => {
  for (const tokenpak of instances) await tokenpak.shutdown();
  temp.cleanup();
});

const headersOf = (record: Record<string, string>): Headers => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) headers.append(name, value);
  return headers;
};

const route = (tokenpak: TokenPak, headers: Record<string, string>, url = '/v1/messages', body?: unknown) => {
  const mark = url.indexOf('?');
  return tokenpak.resolver.resolve(
    { method: 'POST', path: mark === -1 ? url : url.slice(0, mark), search: mark === -1 ? '' : url.slice(mark), headers: headersOf(headers) },
    body,
  );
};

describe('the claude-code platform signal', () => {
  let withSignal: TokenPak;
  let withoutSignal: TokenPak;
  beforeAll(async () => {
    withSignal = await tokenpakWith([], 'default');
    withoutSignal = await tokenpakWith(['claude-code'], 'disabled');
  });

  test('every Claude Code capture → platform claude-code with its X-Claude-Code-Session-Id; provider, class, backend, upstream unchanged', () => {
    expect(CLAUDE_CODE.length).toBeGreaterThanOrEqual(10);
    for (const capture of CLAUDE_CODE) {
      const decision = route(withSignal, capture.headers, capture.url, capture.bodyJson);
      const baseline = route(withoutSignal, capture.headers, capture.url, capture.bodyJson);
      expect(decision.platform).toBe('claude-code');
      expect(decision.sessionId).toBe(capture.headers['x-claude-code-session-id']);
      expect(baseline.platform).toBeNull();
      expect({
        provider: decision.provider,
        source: decision.providerSource,
        cls: decision.routeClass,
        backend: decision.backend,
        via: decision.via,
        url: decision.upstreamUrl,
        credentials: decision.credentialSource,
      }).toEqual({
        provider: baseline.provider,
        source: baseline.providerSource,
        cls: baseline.routeClass,
        backend: baseline.backend,
        via: baseline.via,
        url: baseline.upstreamUrl,
        credentials: baseline.credentialSource,
      });
      expect(decision.reasons.join('\n')).toContain('signal "claude-code" names the platform only');
    }
  });

  test('a claude-cli/ user agent alone → platform claude-code, no session', () => {
    const decision = route(withSignal, { 'user-agent': 'claude-cli/2.1.197 (external, sdk-ts)', 'x-api-key': 'sk-ant-api03-signal-test' });
    expect(decision).toMatchObject({ platform: 'claude-code', sessionId: null, provider: null, routeClass: 'claude-code-sdk', backend: 'oauth' });
  });

  test('a blank session header and another user agent → not claude-code', () => {
    expect(route(withSignal, { 'x-claude-code-session-id': '  ', 'user-agent': 'curl/8' }).platform).toBeNull();
  });

  test('a platform-only match does not hide a body signal: OpenClaw recognised from its body with a claude-cli user agent', () => {
    const capture = OPENCLAW.find((item) => item.url.startsWith('/v1/messages'))!;
    const decision = route(withSignal, { ...capture.headers, 'user-agent': 'claude-cli/2.1.197 (external, cli)' }, capture.url, capture.bodyJson);
    expect(decision).toMatchObject({ platform: 'openclaw', providerSource: 'signal:openclaw' });
  });
});
