import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { rawRequest } from '../support/http-client';
import { startProxy, upstreamsAt } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/** Writes a plugin folder: `files` maps relative names to contents. */
function writePlugin(pluginsDir: string, folder: string, files: Record<string, string>): string {
  const dir = path.join(pluginsDir, folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

const TS_PLUGIN = `
import { definePlugin, type PlatformSignal } from '@tokenpak/core';

const signal: PlatformSignal = {
  name: 'acme',
  defaultProvider: 'tokenpak-anthropic',
  priority: 10,
  extract(headers: Headers) {
    const session: string | null = headers.get('x-acme-session');
    return session ? { platform: 'acme', sessionId: session } : null;
  },
};

export default definePlugin({
  name: 'acme',
  apiVersion: 1,
  setup(ctx) {
    ctx.logger.info('acme plugin ready', { greeting: String(ctx.settings.greeting ?? 'none') });
    return ctx.bridge.register(signal);
  },
});
`;

const CJS_PLUGIN = `
module.exports = {
  name: 'cjs-plugin',
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register({ name: 'cjs', defaultProvider: 'tokenpak-openai', extract: (h) => (h.get('x-cjs') ? { platform: 'cjs' } : null) });
  },
};
`;

const ESM_PLUGIN = `
export default {
  name: 'esm-plugin',
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register({ name: 'esm', defaultProvider: 'tokenpak-openai', extract: (h) => (h.get('x-esm') ? { platform: 'esm' } : null) });
  },
};
`;

const SYNTAX_ERROR_PLUGIN = `import { definePlugin } from '@tokenpak/core';\nexport default definePlugin({ name: 'broken', apiVersion: 1, setup( {`;

const THROWING_SETUP_PLUGIN = `
import { definePlugin } from '@tokenpak/core';
export default definePlugin({
  name: 'thrower',
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register({ name: 'half-registered', defaultProvider: 'x', extract: () => ({ platform: 'half' }) });
    throw new Error('thrower refuses to start');
  },
});
`;

const FUTURE_API_PLUGIN = `export default { name: 'future', apiVersion: 2, setup() {} };`;

function buildPluginsDir(dir: string): string {
  const pluginsDir = path.join(dir, 'plugins');
  writePlugin(pluginsDir, 'acme', { 'index.ts': TS_PLUGIN });
  writePlugin(pluginsDir, 'cjs', { 'package.json': JSON.stringify({ name: 'cjs-plugin', main: 'lib/main.js' }) });
  writePlugin(pluginsDir, 'cjs/lib', { 'main.js': CJS_PLUGIN });
  writePlugin(pluginsDir, 'esm', { 'index.mjs': ESM_PLUGIN });
  writePlugin(pluginsDir, 'broken', { 'index.ts': SYNTAX_ERROR_PLUGIN });
  writePlugin(pluginsDir, 'thrower', { 'index.ts': THROWING_SETUP_PLUGIN });
  writePlugin(pluginsDir, 'future', { 'index.js': FUTURE_API_PLUGIN });
  writePlugin(pluginsDir, 'empty', { 'README.md': 'not a plugin' });
  return pluginsDir;
}

describe('plugin host', () => {
  let upstream: MockUpstream;
  const temp = makeTempDir();
  const pluginsDir = buildPluginsDir(temp.dir);

  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    temp.cleanup();
  });

  test('loads drop-in TypeScript, CommonJS and ESM plugins; reports broken ones with folder and reason; still serves', async () => {
    const proxy = await startProxy({
      providers: upstreamsAt(upstream.url),
      plugins: { dirs: [pluginsDir], disabled: ['codex'], settings: { acme: { greeting: 'hello' } } },
    });
    try {
      const reports = proxy.tokenpak.plugins;
      const byFolder = new Map(reports.map((report) => [path.basename(report.folder), report]));
      expect(byFolder.get('acme')).toMatchObject({ name: 'acme', state: 'loaded', signals: ['acme'], builtin: false });
      expect(byFolder.get('cjs')).toMatchObject({ name: 'cjs-plugin', state: 'loaded', signals: ['cjs'] });
      expect(byFolder.get('esm')).toMatchObject({ name: 'esm-plugin', state: 'loaded', signals: ['esm'] });
      expect(byFolder.get('broken')).toMatchObject({ state: 'failed' });
      expect(byFolder.get('broken')!.reason).toMatch(/failed to load .*broken/);
      expect(byFolder.get('thrower')).toMatchObject({ name: 'thrower', state: 'failed', reason: 'setup threw: thrower refuses to start' });
      expect(byFolder.get('future')).toMatchObject({ state: 'failed' });
      expect(byFolder.get('future')!.reason).toContain('unsupported apiVersion 2');
      expect(byFolder.get('empty')).toMatchObject({ state: 'failed' });
      expect(byFolder.get('codex')).toMatchObject({ state: 'disabled', builtin: true });
      expect(byFolder.get('openclaw')).toMatchObject({ state: 'loaded', builtin: true });

      // Partial registrations of a plugin whose setup threw are undone.
      expect(proxy.tokenpak.bridge.signals().map((signal) => signal.name)).not.toContain('half-registered');
      // Priority 10 puts the acme signal before the built-ins.
      expect(proxy.tokenpak.bridge.signals()[0]!.name).toBe('acme');
      expect(proxy.logs.join('')).toContain('acme plugin ready greeting=hello');
      expect(proxy.logs.join('')).toMatch(/plugin in .*thrower failed: setup threw/);

      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-plugin-test', 'x-acme-session': 'acme-42' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(response.status).toBe(200);
      expect(response.headers['x-tokenpak-route']).toContain('platform=acme; session=acme-42; provider=tokenpak-anthropic; source=signal:acme');

      const status = JSON.parse((await rawRequest(`${proxy.url}/tokenpak/status`)).body.toString()) as { plugins: Array<{ name: string; state: string }> };
      expect(status.plugins.find((plugin) => plugin.name === 'thrower')?.state).toBe('failed');
    } finally {
      await proxy.stop();
    }
  });

  test('a built-in can be disabled by name, and plugins.dirs may repeat the built-in folder without double loading', async () => {
    const proxy = await startProxy({ plugins: { disabled: ['openclaw'] } });
    try {
      const names = proxy.tokenpak.plugins.map((report) => `${report.name}:${report.state}`);
      expect(names).toEqual(['claude-code:loaded', 'codex:loaded', 'openclaw:disabled']);
      expect(proxy.tokenpak.bridge.signals().map((signal) => signal.name)).toEqual(['codex', 'claude-code']);
    } finally {
      await proxy.stop();
    }
  });

  test('`tokenpak plugins` lists every plugin with its state and signals', () => {
    const configPath = path.join(temp.dir, 'tokenpak.config.json');
    writeFileSync(configPath, JSON.stringify({ plugins: { dirs: ['plugins'] } }));
    const result = runCli(['plugins', '--config', configPath], { env: { HOME: temp.dir } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^acme\tloaded\n {2}folder: .*acme\n {2}signals: acme$/m);
    expect(result.stdout).toMatch(/^openclaw\tloaded$/m);
    expect(result.stdout).toMatch(/^broken\tfailed: failed to load /m);
    expect(result.stdout).toMatch(/^thrower\tfailed: setup threw: thrower refuses to start$/m);
    expect(result.stdout).toMatch(/^future\tfailed: failed to load .*unsupported apiVersion 2/m);

    const json = runCli(['plugins', '--config', configPath, '--json'], { env: { HOME: temp.dir } });
    const reports = JSON.parse(json.stdout) as Array<{ name: string; state: string }>;
    expect(reports.find((report) => report.name === 'codex')?.state).toBe('loaded');
  });
});
