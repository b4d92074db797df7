import { createLogger, createTokenPak, PlatformBridge, type PlatformOrigin, type PlatformSignal, type TokenPak } from '@tokenpak/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/** ARCHITECTURE §2.1: the platform bridge's registry semantics and failure isolation. */

const REQUEST = { method: 'POST', path: '/v1/messages' };

/** A signal matching `x-test: <value>` exactly (or any request when `value` is '*'). */
function signal(name: string, value: string, options: { priority?: number; platform?: string; defaultProvider?: string } = {}): PlatformSignal {
  return {
    name,
    defaultProvider: options.defaultProvider ?? 'tokenpak-anthropic',
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    extract(headers: Headers): PlatformOrigin | null {
      return value === '*' || headers.get('x-test') === value ? { platform: options.platform ?? name } : null;
    },
  };
}

function throwing(name: string, priority: number, counter: { calls: number }): PlatformSignal {
  return {
    name,
    defaultProvider: 'tokenpak-anthropic',
    priority,
    extract(): PlatformOrigin | null {
      counter.calls += 1;
      throw new Error(`boom from ${name} sk-ant-api03-BRIDGEsecret-000001`);
    },
  };
}

const headersOf = (record: Record<string, string>): Headers => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) headers.append(name, value);
  return headers;
};

describe('PlatformBridge registry', () => {
  let logs: string[];
  let bridge: PlatformBridge;

  beforeEach(() => {
    logs = [];
    bridge = new PlatformBridge(createLogger('debug', { write: (line) => void logs.push(line) }));
  });

  const names = (): string[] => bridge.signals().map((registered) => registered.name);
  const detect = (record: Record<string, string>) => bridge.detect(headersOf(record), REQUEST);

  test('registering the same name twice replaces it in place (order kept)', () => {
    bridge.register(signal('a', 'a'));
    bridge.register(signal('b', 'b-old'));
    bridge.register(signal('c', 'c'));
    bridge.register(signal('b', 'b-new', { platform: 'b2' }));
    expect(names()).toEqual(['a', 'b', 'c']);
    expect(detect({ 'x-test': 'b-old' })).toBeNull();
    expect(detect({ 'x-test': 'b-new' })?.origin.platform).toBe('b2');
  });

  test('a replacement keeps its place among equal priorities: first match still wins by registration order', () => {
    bridge.register(signal('first', '*', { platform: 'one' }));
    bridge.register(signal('second', '*', { platform: 'two' }));
    bridge.register(signal('first', '*', { platform: 'one-again' }));
    expect(names()).toEqual(['first', 'second']);
    expect(detect({})?.origin.platform).toBe('one-again');
    expect(detect({})?.signal.name).toBe('first');
  });

  test('the disposer removes the signal', () => {
    const dispose = bridge.register(signal('a', 'a'));
    bridge.register(signal('b', 'b'));
    expect(detect({ 'x-test': 'a' })?.signal.name).toBe('a');
    dispose();
    expect(names()).toEqual(['b']);
    expect(detect({ 'x-test': 'a' })).toBeNull();
    dispose();
    expect(names()).toEqual(['b']);
  });

  test('the disposer of a replaced signal does not remove the replacement', () => {
    const disposeOld = bridge.register(signal('a', 'old'));
    const disposeNew = bridge.register(signal('a', 'new'));
    disposeOld();
    expect(names()).toEqual(['a']);
    expect(detect({ 'x-test': 'new' })?.signal.name).toBe('a');
    disposeNew();
    expect(names()).toEqual([]);
  });

  test('priority: higher first, then registration order; default priority is 0', () => {
    bridge.register(signal('low', '*', { priority: -5 }));
    bridge.register(signal('plain-1', '*'));
    bridge.register(signal('high-1', '*', { priority: 5 }));
    bridge.register(signal('plain-2', '*', { priority: 0 }));
    bridge.register(signal('high-2', '*', { priority: 5 }));
    bridge.register(signal('top', 'top', { priority: 100 }));
    expect(names()).toEqual(['top', 'high-1', 'high-2', 'plain-1', 'plain-2', 'low']);
    expect(detect({})?.signal.name).toBe('high-1');
    expect(detect({ 'x-test': 'top' })?.signal.name).toBe('top');
  });

  test('headers are read case-insensitively', () => {
    bridge.register(signal('a', 'v'));
    expect(detect({ 'X-TEST': 'v' })?.signal.name).toBe('a');
  });

  test('a throwing signal is skipped, the next one matches, and the failure is logged once', () => {
    const counter = { calls: 0 };
    bridge.register(throwing('broken', 10, counter));
    bridge.register(signal('fallback', '*'));
    for (let i = 0; i < 5; i += 1) expect(detect({})?.signal.name).toBe('fallback');
    expect(counter.calls).toBe(5);
    const failures = logs.filter((line) => line.includes('broken'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/warn/);
    expect(logs.join('')).not.toContain('BRIDGEsecret');
  });

  test('throwing wantsBody / extractFromBody are skipped too', () => {
    const calls = { wants: 0, body: 0 };
    bridge.register({
      name: 'body-broken',
      defaultProvider: 'tokenpak-anthropic',
      priority: 10,
      extract: () => null,
      wantsBody: () => {
        calls.wants += 1;
        throw new Error('wantsBody failed');
      },
      extractFromBody: () => null,
    });
    bridge.register({
      name: 'body-broken-2',
      defaultProvider: 'tokenpak-anthropic',
      extract: () => null,
      wantsBody: () => true,
      extractFromBody: () => {
        calls.body += 1;
        throw new Error('extractFromBody failed');
      },
    });
    bridge.register({
      name: 'body-ok',
      defaultProvider: 'tokenpak-anthropic',
      priority: -1,
      extract: () => null,
      wantsBody: () => true,
      extractFromBody: () => ({ platform: 'body-ok' }),
    });
    const wanters = bridge.bodyWanters(new Headers(), REQUEST);
    expect(wanters.map((wanter) => wanter.name)).toEqual(['body-broken-2', 'body-ok']);
    expect(bridge.detectFromBody(wanters, {}, new Headers(), REQUEST)?.origin.platform).toBe('body-ok');
    expect(calls).toEqual({ wants: 1, body: 1 });
    expect(logs.filter((line) => line.includes('body-broken'))).toHaveLength(2);
  });
});

describe('bridge inside a TokenPak (built-in plugins loaded)', () => {
  const temp = makeTempDir('tokenpak-bridge-');
  const logs: string[] = [];
  let tokenpak: TokenPak;

  beforeAll(async () => {
    const configPath = path.join(temp.dir, 'tokenpak.config.json');
    writeFileSync(configPath, JSON.stringify({ state: { dir: path.join(temp.dir, 'state') }, companion: { dispatch: false } }));
    tokenpak = await createTokenPak({ configPath, env: { HOME: temp.dir }, logger: createLogger('debug', { write: (line) => void logs.push(line) }) });
  });
  afterAll(async () => {
    await tokenpak.shutdown();
    temp.cleanup();
  });

  const route = (record: Record<string, string>) => tokenpak.resolver.resolve({ method: 'POST', path: '/v1/messages', search: '', headers: headersOf(record) });

  test('each TokenPak has its own bridge (no module-global registry)', async () => {
    const other = await createTokenPak({ configPath: path.join(temp.dir, 'tokenpak.config.json'), env: { HOME: temp.dir }, logger: createLogger('silent') });
    const dispose = other.bridge.register(signal('only-in-other', '*', { priority: 99 }));
    expect(other.bridge.signals().map((registered) => registered.name)).toContain('only-in-other');
    expect(tokenpak.bridge.signals().map((registered) => registered.name)).not.toContain('only-in-other');
    dispose();
    await other.shutdown();
  });

  test('a throwing signal ahead of OpenClaw is skipped and the request still routes (logged once)', () => {
    const counter = { calls: 0 };
    const dispose = tokenpak.bridge.register(throwing('explodes', 50, counter));
    try {
      for (let i = 0; i < 3; i += 1) {
        const decision = route({ 'User-Agent': 'openclaw' });
        expect(decision).toMatchObject({ platform: 'openclaw', provider: 'tokenpak-claude-code', providerSource: 'signal:openclaw', backend: 'oauth' });
      }
      expect(counter.calls).toBe(3);
      expect(logs.filter((line) => line.includes('explodes'))).toHaveLength(1);
    } finally {
      dispose();
    }
  });

  test('a higher-priority signal overrides OpenClaw; disposing it restores OpenClaw', () => {
    const dispose = tokenpak.bridge.register(signal('claw-override', '*', { priority: 1, platform: 'override', defaultProvider: 'tokenpak-anthropic' }));
    expect(route({ 'User-Agent': 'openclaw' })).toMatchObject({ platform: 'override', providerSource: 'signal:claw-override', provider: 'tokenpak-anthropic' });
    dispose();
    expect(route({ 'User-Agent': 'openclaw' })).toMatchObject({ platform: 'openclaw', providerSource: 'signal:openclaw' });
  });

  test('a lower-priority signal never shadows OpenClaw', () => {
    const dispose = tokenpak.bridge.register(signal('claw-under', '*', { priority: -1, platform: 'under' }));
    try {
      expect(route({ 'User-Agent': 'openclaw' })).toMatchObject({ platform: 'openclaw' });
      expect(route({ 'User-Agent': 'curl/8' })).toMatchObject({ platform: 'under', providerSource: 'signal:claw-under' });
    } finally {
      dispose();
    }
  });

  test('a plugin may replace a built-in signal by name, in place', () => {
    const before = tokenpak.bridge.signals().map((registered) => registered.name);
    const replacement: PlatformSignal = {
      name: 'openclaw',
      defaultProvider: 'tokenpak-anthropic',
      extract: (headers) => (headers.get('user-agent') === 'claw-two' ? { platform: 'openclaw', sessionId: 'replaced' } : null),
    };
    tokenpak.bridge.register(replacement);
    expect(tokenpak.bridge.signals().map((registered) => registered.name)).toEqual(before);
    expect(route({ 'User-Agent': 'openclaw' }).platform).toBeNull();
    expect(route({ 'User-Agent': 'claw-two' })).toMatchObject({ platform: 'openclaw', sessionId: 'replaced', provider: 'tokenpak-anthropic' });
  });
});

describe('a plugin whose signal throws, end to end', () => {
  const temp = makeTempDir('tokenpak-bridge-e2e-');
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    const folder = path.join(temp.dir, 'plugins', 'always-throws');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, 'index.ts'),
      `import { definePlugin } from '@tokenpak/core';
export default definePlugin({
  name: 'always-throws',
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register({
      name: 'always-throws',
      defaultProvider: 'tokenpak-anthropic',
      priority: 100,
      extract(): null {
        throw new Error('always-throws exploded');
      },
    });
  },
});
`,
    );
    upstream = await startMockUpstream();
    proxy = await startProxy({ companion: { dispatch: false }, providers: upstreamsAt(upstream.url), plugins: { dirs: [path.join(temp.dir, 'plugins')] } });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
    temp.cleanup();
  });

  test('the plugin loads, its signal is skipped, every request still routes and is forwarded; logged once', async () => {
    expect(proxy.tokenpak.plugins.find((report) => report.name === 'always-throws')?.state).toBe('loaded');
    for (let i = 0; i < 3; i += 1) {
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'User-Agent': 'openclaw', 'content-type': 'application/json' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(response.status).toBe(200);
      expect(response.headers['x-tokenpak-route']).toBe(
        'platform=openclaw; session=none; provider=tokenpak-claude-code; source=signal:openclaw; class=claude-code-cli; backend=oauth; via=http',
      );
    }
    const plain = await rawRequest(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"m","messages":[]}',
    });
    expect(plain.status).toBe(200);
    expect(plain.headers['x-tokenpak-route']).toBe('platform=none; session=none; provider=none; source=none; class=openai-sdk; backend=api; via=http');
    expect(upstream.requests).toHaveLength(4);
    expect(proxy.logs.filter((line) => line.includes('always-throws exploded') || /signal "always-throws" failed/.test(line))).toHaveLength(1);
    expect((await rawRequest(`${proxy.url}/tokenpak/health`)).status).toBe(200);
  });
});
