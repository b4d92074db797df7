import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { rawHeader, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/**
 * Issue 14.4: the typed plugin surface. `@tokenpak/core/plugin` is one module for the
 * type checker, jest and the loader; a plugin reads a frozen config view, not the live
 * config; platforms declare their own control headers, stripped before upstream.
 */

function writePlugin(pluginsDir: string, folder: string, source: string): void {
  mkdirSync(path.join(pluginsDir, folder), { recursive: true });
  writeFileSync(path.join(pluginsDir, folder, 'index.ts'), source);
}

describe('the plugin surface', () => {
  let upstream: MockUpstream;
  const temp = makeTempDir();
  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    temp.cleanup();
  });
  beforeEach(() => upstream.requests.splice(0));

  test('control headers a plugin declares are stripped before upstream; undeclared ones are forwarded', async () => {
    const pluginsDir = path.join(temp.dir, 'declares');
    writePlugin(
      pluginsDir,
      'acme',
      `import { definePlugin } from '@tokenpak/core/plugin';
export default definePlugin({ name: 'acme', apiVersion: 1, setup(ctx) {
  ctx.bridge.register({ name: 'acme', defaultProvider: 'tokenpak-anthropic', controlHeaders: ['X-Acme-Run'],
    extract: (h) => (h.get('x-acme-run') ? { platform: 'acme', sessionId: h.get('x-acme-run') ?? undefined } : null) });
} });`,
    );
    writePlugin(
      pluginsDir,
      'bad-control',
      `export default { name: 'bad-control', apiVersion: 1, setup(ctx) { ctx.bridge.register({ name: 'bad', defaultProvider: 'x', controlHeaders: ['authorization'], extract: () => null }); } };`,
    );
    const proxy = await startProxy({ plugins: { dirs: [pluginsDir] }, providers: upstreamsAt(upstream.url) });
    try {
      expect(proxy.tokenpak.plugins.find((plugin) => plugin.name === 'bad-control')).toMatchObject({
        state: 'failed',
        reason: expect.stringContaining('must be a custom header name starting with "x-"'),
      });
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-surface-test', 'X-Acme-Run': 'run-7', 'X-Acme-Other': 'kept' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(response.status).toBe(200);
      expect(String(response.headers['x-tokenpak-route'])).toMatch(/^platform=acme; session=run-7; /);
      const received = upstream.requests[0]!.rawHeaders;
      expect(rawHeader(received, 'x-acme-run')).toBeUndefined();
      expect(rawHeader(received, 'x-acme-other')).toBe('kept');
    } finally {
      await proxy.stop();
    }
  });

  test("x-openclaw-session is the OpenClaw plugin's control header, not core's: with the plugin disabled it is an ordinary header", async () => {
    const proxy = await startProxy({ plugins: { disabled: ['openclaw'] }, providers: upstreamsAt(upstream.url) });
    try {
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-surface-test', 'X-OpenClaw-Session': 'oc-2' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(response.status).toBe(200);
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'x-openclaw-session')).toBe('oc-2');
    } finally {
      await proxy.stop();
    }
  });

  test('ctx.config is a frozen view (login file paths, provider upstreams), not the live config', async () => {
    const pluginsDir = path.join(temp.dir, 'config-view');
    writePlugin(
      pluginsDir,
      'peek',
      `export default { name: 'peek', apiVersion: 1, setup(ctx) {
  let mutation = 'allowed';
  try { (ctx.config as any).credentials.codex = '/elsewhere'; } catch { mutation = 'refused'; }
  ctx.logger.info('PEEK' + JSON.stringify({ keys: Object.keys(ctx.config).sort(), codex: ctx.config.credentials.codex, upstream: ctx.config.providers['tokenpak-anthropic']?.upstream, frozen: Object.isFrozen(ctx.config), mutation, server: (ctx.config as any).server ?? null }));
} };`,
    );
    const proxy = await startProxy({
      plugins: { dirs: [pluginsDir] },
      providers: upstreamsAt(upstream.url),
      server: { authToken: 'a-long-shared-secret-0123456789' },
      credentials: { codex: '/tmp/codex-auth.json' },
    });
    try {
      expect(proxy.tokenpak.plugins.find((plugin) => plugin.name === 'peek')).toMatchObject({ state: 'loaded' });
      const line = proxy.logs
        .join('\n')
        .split('\n')
        .find((entry) => entry.includes('PEEK'))!;
      const seen = JSON.parse(line.slice(line.indexOf('PEEK') + 4).replace(/\s.*$/, '')) as Record<string, unknown>;
      expect({ seen, logs: seen.keys ? '' : proxy.logs.join('') }).toMatchObject({
        seen: { keys: ['credentials', 'providers'], codex: '/tmp/codex-auth.json', upstream: upstream.url, frozen: true, mutation: 'refused', server: null },
      });
      expect(proxy.tokenpak.config.config.credentials.codex).toBe('/tmp/codex-auth.json');
    } finally {
      await proxy.stop();
    }
  });

  test('@tokenpak/core/plugin is what the type checker sees: a plugin importing a host internal fails to compile, the built-ins compile', () => {
    const dir = path.join(temp.dir, 'typed');
    mkdirSync(dir, { recursive: true });
    const wrong = path.join(dir, 'wrong.ts');
    writeFileSync(
      wrong,
      `import { PlatformBridge, definePlugin } from '@tokenpak/core/plugin';\nexport default definePlugin({ name: 'w', apiVersion: 1, setup() { void PlatformBridge; } });\n`,
    );
    const right = path.join(REPO_ROOT, 'plugins', 'codex', 'index.ts');
    const parsed = ts.getParsedCommandLineOfConfigFile(
      path.join(REPO_ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const program = ts.createProgram([wrong, right], { ...parsed.options, noEmit: true });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => `${diagnostic.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    expect(diagnostics.filter((line) => line.startsWith(wrong))).toEqual([expect.stringContaining("has no exported member 'PlatformBridge'")]);
    expect(diagnostics.filter((line) => !line.startsWith(wrong))).toEqual([]);
  });

  test('the package exports the subpath: node resolves @tokenpak/core/plugin to the built plugin API with its types', () => {
    // A child node process: jest's own resolver maps the subpath to the source (moduleNameMapper).
    const resolved = spawnSync(process.execPath, ['-p', "require.resolve('@tokenpak/core/plugin')"], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    expect(path.relative(REPO_ROOT, resolved)).toBe(path.join('packages', 'core', 'dist', 'plugin-api.js'));
    const manifest = require(path.join(REPO_ROOT, 'packages', 'core', 'package.json')) as { exports: Record<string, { types: string }> };
    expect(manifest.exports['./plugin']!.types).toBe('./dist/plugin-api.d.ts');
    expect(require('node:fs').existsSync(path.join(REPO_ROOT, 'packages', 'core', 'dist', 'plugin-api.d.ts'))).toBe(true);
  });
});
