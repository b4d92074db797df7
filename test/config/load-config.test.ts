import { ConfigError, configJsonSchema, defaultConfig, loadConfig } from '@tokenpak/core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/cli-process';
import { makeTempDir } from '../support/temp-dir';

describe('loadConfig', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  const write = (name: string, content: string): string => {
    const file = path.join(temp.dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  const load = (options: { configPath?: string; env?: NodeJS.ProcessEnv } = {}) =>
    loadConfig({ cwd: temp.dir, env: { HOME: temp.dir, ...options.env }, configPath: options.configPath });

  test('no file: built-in defaults, source null, paths resolved', async () => {
    const resolved = await load();
    expect(resolved.source).toBeNull();
    expect(resolved.config.server).toEqual({ host: '127.0.0.1', port: 8766, allowedOrigins: [], shutdownTimeoutMs: 30000 });
    expect(resolved.config.state.dir).toBe(path.join(temp.dir, '.tokenpak'));
    expect(resolved.config.plugins.dirs).toEqual([path.join(temp.dir, 'plugins')]);
    expect(resolved.config.companion.cwd).toBe(path.join(temp.dir, '.tokenpak', 'companion'));
    expect(resolved.config.providers['tokenpak-anthropic']!.upstream).toBe('https://api.anthropic.com');
  });

  test.each([
    ['tokenpak.config.json', JSON.stringify({ server: { port: 9001 } })],
    ['.tokenpakrc', JSON.stringify({ server: { port: 9001 } })],
    ['.tokenpakrc.json', JSON.stringify({ server: { port: 9001 } })],
    ['.tokenpakrc.yaml', 'server:\n  port: 9001\n'],
    ['package.json', JSON.stringify({ name: 'x', tokenpak: { server: { port: 9001 } } })],
    ['tokenpak.config.js', 'module.exports = { server: { port: 9001 } };'],
    ['tokenpak.config.cjs', 'module.exports = { server: { port: 9001 } };'],
    ['tokenpak.config.mjs', 'export default { server: { port: 9001 } };'],
    ['tokenpak.config.ts', 'const config: { server: { port: number } } = { server: { port: 9001 } };\nexport default config;'],
  ])('finds %s', async (name, content) => {
    const file = write(name, content);
    const resolved = await load();
    expect(resolved.source).toBe(file);
    expect(resolved.config.server.port).toBe(9001);
  });

  test('--config loads exactly that file and resolves plugin dirs against its folder', async () => {
    const file = write('nested/custom.json', JSON.stringify({ plugins: { dirs: ['my-plugins', '/abs/plugins'] }, state: { dir: 'state' } }));
    const resolved = await load({ configPath: file });
    expect(resolved.source).toBe(file);
    expect(resolved.config.plugins.dirs).toEqual([path.join(temp.dir, 'nested', 'my-plugins'), '/abs/plugins']);
    expect(resolved.config.state.dir).toBe(path.join(temp.dir, 'nested', 'state'));
  });

  test('env overrides beat the file', async () => {
    write('tokenpak.config.json', JSON.stringify({ server: { port: 9001, host: '127.0.0.1' } }));
    const resolved = await load({
      env: {
        TOKENPAK_PORT: '9100',
        TOKENPAK_HOST: 'localhost',
        TOKENPAK_DUMP_HEADERS: '1',
        TOKENPAK_COMPANION_DISPATCH: '0',
        TOKENPAK_OAUTH_NO_CONTINUE: '1',
        TOKENPAK_HOME: '~/tp',
      },
    });
    expect(resolved.config.server).toMatchObject({ port: 9100, host: 'localhost' });
    expect(resolved.config.log.dumpHeaders).toBe(true);
    expect(resolved.config.companion).toMatchObject({ dispatch: false, continue: false });
    expect(resolved.config.state.dir).toBe(path.join(temp.dir, 'tp'));
    expect(resolved.fromEnv.get('server.port')).toBe('TOKENPAK_PORT');
  });

  const expectConfigError = async (promise: Promise<unknown>, pieces: string[]): Promise<ConfigError> => {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    for (const piece of pieces) expect((error as ConfigError).message).toContain(piece);
    return error as ConfigError;
  };

  test('wrong type names the file, the key path and the problem', async () => {
    const file = write('tokenpak.config.json', JSON.stringify({ server: { port: 'eighty' } }));
    await expectConfigError(load(), [file, 'server.port', 'expected number']);
  });

  test('port out of range', async () => {
    const file = write('tokenpak.config.json', JSON.stringify({ server: { port: 70000 } }));
    await expectConfigError(load(), [file, 'server.port', 'at most 65535']);
  });

  test('unknown top-level and nested keys', async () => {
    write('tokenpak.config.json', JSON.stringify({ sever: { port: 1 }, server: { prot: 2 } }));
    const error = await expectConfigError(load(), ['sever', 'server.prot', 'unknown key']);
    expect(error.problems.map((problem) => problem.path).sort()).toEqual(['server.prot', 'sever']);
  });

  test('malformed JSON names the file', async () => {
    const file = write('tokenpak.config.json', '{ "server": { "port": 1, } ');
    await expectConfigError(load(), [file]);
  });

  test('a missing --config file is an error, not silently defaults', async () => {
    await expectConfigError(load({ configPath: path.join(temp.dir, 'nope.json') }), ['nope.json', 'not found']);
  });

  test('a bad env value names the variable', async () => {
    await expectConfigError(load({ env: { TOKENPAK_PORT: 'abc' } }), ['server.port', 'TOKENPAK_PORT']);
  });

  test('bad upstream URL', async () => {
    write('tokenpak.config.json', JSON.stringify({ providers: { mine: { upstream: 'ftp://x' } } }));
    await expectConfigError(load(), ['providers.mine.upstream', 'http']);
  });

  test('the published schema and defaults file match the code', () => {
    const published = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'tokenpak.schema.json'), 'utf8')) as unknown;
    expect(published).toEqual(configJsonSchema());
    const defaults = JSON.parse(readFileSync(path.join(REPO_ROOT, 'config', 'tokenpak.config.json'), 'utf8')) as unknown;
    expect(defaults).toEqual(defaultConfig());
  });

  test('the shipped defaults file is itself a valid config', async () => {
    const resolved = await load({ configPath: path.join(REPO_ROOT, 'config', 'tokenpak.config.json') });
    expect(resolved.config.server.port).toBe(8766);
  });
});
