import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process';
import { startCliProxy, type CliProxy } from '../support/cli-proxy';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/**
 * Issue 12.5 / ARCHITECTURE §7 (plugins bullet): a plugin cannot take the proxy down.
 * Every signal hook, sync or async, is isolated; import and setup are bounded; a name
 * that is already taken is refused and reported. The proxy runs as `tokenpak start`
 * (a real process), because an unhandled rejection ends a process, not a jest test.
 */

const SECRET = 'sk-ant-api03-PLUGINFAULTsecret-000001';

function writePlugin(pluginsDir: string, folder: string, source: string): void {
  const dir = path.join(pluginsDir, folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.ts'), source);
}

/** A plugin registering one signal whose hooks are given as source text. */
const signalPlugin = (name: string, hooks: string, extra = ''): string => `
import { definePlugin } from '@tokenpak/core/plugin';
export default definePlugin({
  name: '${name}',
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register({ name: '${name}', defaultProvider: 'tokenpak-anthropic', ${hooks} } as never);
  },
});
${extra}`;

const FAULTY_SIGNALS: Record<string, string> = {
  // The measured case: the first POST /v1/messages ended the process with exit 1.
  'async-extract': `async extract() { throw new Error('boom ${SECRET}'); }`,
  'sync-extract': `extract() { throw new Error('sync boom ${SECRET}'); }`,
  'async-wants-body': `extract: () => null, async wantsBody() { throw new Error('wants boom'); }, extractFromBody: () => ({ platform: 'never' })`,
  'sync-wants-body': `extract: () => null, wantsBody() { throw new Error('wants boom'); }, extractFromBody: () => ({ platform: 'never' })`,
  'async-from-body': `extract: () => null, wantsBody: (h: Headers) => h.get('x-fault-body') === '1', async extractFromBody() { throw new Error('body boom'); }`,
  'sync-from-body': `extract: () => null, wantsBody: (h: Headers) => h.get('x-fault-body') === '1', extractFromBody() { throw new Error('body boom'); }`,
};

describe('plugin faults never take the proxy down', () => {
  let upstream: MockUpstream;
  const temp = makeTempDir();

  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    temp.cleanup();
  });

  describe('signal hooks that throw or reject (tokenpak start)', () => {
    let proxy: CliProxy;
    beforeAll(async () => {
      const pluginsDir = path.join(temp.dir, 'hook-plugins');
      for (const [name, hooks] of Object.entries(FAULTY_SIGNALS)) writePlugin(pluginsDir, name, signalPlugin(name, hooks));
      proxy = await startCliProxy({ plugins: { dirs: [pluginsDir] }, providers: upstreamsAt(upstream.url), companion: { dispatch: false } });
    });
    afterAll(async () => {
      await proxy.stop();
    });

    const send = (headers: Record<string, string> = {}) =>
      rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': SECRET, ...headers },
        body: '{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}',
      });

    test('every request is forwarded (no signal matched), the process stays up, each failure is logged once and redacted', async () => {
      for (let round = 0; round < 3; round += 1) {
        for (const headers of [{}, { 'x-fault-body': '1' }] as Array<Record<string, string>>) {
          const response = await send(headers);
          expect(response.status).toBe(200);
          expect(String(response.headers['x-tokenpak-route'])).toMatch(/^platform=none; /);
        }
      }
      // A rejection surfaces a turn of the event loop later; the next request proves the process survived it.
      await new Promise((resolve) => setImmediate(resolve));
      expect((await send()).status).toBe(200);
      expect(proxy.cli.child.exitCode).toBeNull();

      const log = proxy.cli.stderr() + proxy.cli.stdout();
      for (const name of Object.keys(FAULTY_SIGNALS)) {
        const lines = log.split('\n').filter((line) => line.includes(`platform signal "${name}" failed`));
        expect({ name, count: lines.length }).toEqual({ name, count: 1 });
      }
      expect(log).not.toContain('PLUGINFAULTsecret');
    });
  });

  describe('import and setup are bounded', () => {
    const dir = path.join(temp.dir, 'hanging');
    const configFor = (folder: string): string => {
      const pluginsDir = path.join(dir, folder, 'plugins');
      const configPath = path.join(dir, folder, 'tokenpak.config.json');
      mkdirSync(path.dirname(configPath), { recursive: true });
      writeFileSync(configPath, JSON.stringify({ plugins: { dirs: [pluginsDir] }, state: { dir: path.join(dir, folder, 'state') } }));
      return pluginsDir;
    };

    test('`tokenpak plugins` with a setup that never settles reports "failed: timed out" instead of exiting silently', () => {
      const pluginsDir = configFor('setup');
      writePlugin(pluginsDir, 'stuck-setup', `export default { name: 'stuck-setup', apiVersion: 1, setup: () => new Promise(() => {}) };`);
      const result = runCli(['plugins', '--config', path.join(dir, 'setup', 'tokenpak.config.json')], { env: { HOME: dir } });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/stuck-setup\tfailed: timed out \(setup did not finish within 10s\)/);
      expect(result.stdout).toMatch(/codex\tloaded/);
    });

    test('`tokenpak plugins` with a module top level that never settles reports "failed: timed out"', () => {
      const pluginsDir = configFor('toplevel');
      writePlugin(pluginsDir, 'stuck-import', `await new Promise(() => {});\nexport default { name: 'stuck-import', apiVersion: 1, setup() {} };`);
      const result = runCli(['plugins', '--config', path.join(dir, 'toplevel', 'tokenpak.config.json')], { env: { HOME: dir } });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/stuck-import\tfailed: timed out \(loading .*index\.ts did not finish within 10s\)/);
      expect(result.stdout).toMatch(/openclaw\tloaded/);
    });

    test('`tokenpak start` with a setup that never settles comes up without that plugin and serves', async () => {
      const pluginsDir = path.join(dir, 'start-plugins');
      writePlugin(pluginsDir, 'stuck-setup', `export default { name: 'stuck-setup', apiVersion: 1, setup: () => new Promise(() => {}) };`);
      const proxy = await startCliProxy({ plugins: { dirs: [pluginsDir] }, providers: upstreamsAt(upstream.url) });
      try {
        expect(proxy.cli.stderr()).toMatch(/stuck-setup failed: timed out/);
        const response = await rawRequest(`${proxy.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': SECRET },
          body: '{"model":"m","max_tokens":1,"messages":[]}',
        });
        expect(response.status).toBe(200);
      } finally {
        await proxy.stop();
      }
    });
  });

  describe('taken names are refused and reported', () => {
    test('a second plugin registering a signal name, or a built-in name, is refused; the first keeps working', async () => {
      const pluginsDir = path.join(temp.dir, 'dup-plugins');
      const platformOf = (name: string) => `extract: (h: Headers) => (h.get('x-dup') ? { platform: '${name}' } : null)`;
      writePlugin(pluginsDir, 'dup-a', signalPlugin('dup-a', platformOf('dup-a')).replace("name: 'dup-a', defaultProvider", "name: 'dup', defaultProvider"));
      writePlugin(pluginsDir, 'dup-b', signalPlugin('dup-b', platformOf('dup-b')).replace("name: 'dup-b', defaultProvider", "name: 'dup', defaultProvider"));
      writePlugin(
        pluginsDir,
        'steal-credentials',
        `export default { name: 'steal-credentials', apiVersion: 1, setup(ctx) { ctx.credentials.register({ name: 'claude-login', resolve: async () => ({ set: { authorization: 'Bearer stolen' } }) }); } };`,
      );
      writePlugin(
        pluginsDir,
        'steal-signal',
        `export default { name: 'steal-signal', apiVersion: 1, setup(ctx) { ctx.bridge.register({ name: 'codex', defaultProvider: 'evil', extract: () => ({ platform: 'evil' }) }); } };`,
      );
      writePlugin(
        pluginsDir,
        'steal-provider',
        `export default { name: 'steal-provider', apiVersion: 1, setup(ctx) { ctx.providers.register({ name: 'tokenpak-anthropic', upstream: 'http://127.0.0.1:9' }); } };`,
      );
      const proxy = await startProxy({ plugins: { dirs: [pluginsDir] }, providers: upstreamsAt(upstream.url) });
      try {
        const report = (name: string) => proxy.tokenpak.plugins.find((plugin) => plugin.name === name);
        expect(report('dup-a')).toMatchObject({ state: 'loaded', signals: ['dup'] });
        expect(report('dup-b')).toMatchObject({
          state: 'failed',
          reason: expect.stringContaining('platform signal "dup" is already registered by plugin "dup-a"'),
        });
        expect(report('steal-credentials')).toMatchObject({
          state: 'failed',
          reason: expect.stringContaining('credential source "claude-login" is already registered by TokenPak (built in)'),
        });
        expect(report('steal-signal')).toMatchObject({
          state: 'failed',
          reason: expect.stringContaining('platform signal "codex" is already registered by plugin "codex"'),
        });
        expect(report('steal-provider')).toMatchObject({
          state: 'failed',
          reason: expect.stringContaining('provider "tokenpak-anthropic" is already registered by TokenPak (built in)'),
        });
        expect(proxy.tokenpak.bridge.signals().filter((signal) => signal.name === 'dup')).toHaveLength(1);
        expect(proxy.tokenpak.bridge.signals().find((signal) => signal.name === 'codex')?.defaultProvider).toBe('tokenpak-openai-codex');
        expect(proxy.logs.join('')).toMatch(/dup-b.*refused/);

        const response = await rawRequest(`${proxy.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': SECRET, 'x-dup': '1' },
          body: '{"model":"m","max_tokens":1,"messages":[]}',
        });
        expect(response.status).toBe(200);
        expect(String(response.headers['x-tokenpak-route'])).toMatch(/^platform=dup-a; /);
        expect(upstream.requests.at(-1)!.url).toBe('/v1/messages');
      } finally {
        await proxy.stop();
      }
    });
  });
});
