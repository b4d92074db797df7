import { findNodeAtLocation, parse as parseJsonc, parseTree } from 'jsonc-parser';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, REPO_ROOT } from '../support/cli-process';
import { makeTempDir } from '../support/temp-dir';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'client-configs');
const PORT = 18766;
const PROXY = `http://127.0.0.1:${PORT}`;

/** A fresh HOME + state dir + TokenPak config per test; the CLI sees only these. */
function setUp() {
  const temp = makeTempDir('tokenpak-integrate-');
  const home = path.join(temp.dir, 'home');
  const stateDir = path.join(temp.dir, 'state');
  mkdirSync(home);
  const config = path.join(temp.dir, 'tokenpak.config.json');
  writeFileSync(config, JSON.stringify({ server: { port: PORT } }));
  const env = { HOME: home, TOKENPAK_HOME: stateDir, CODEX_HOME: '', CLAUDE_CONFIG_DIR: '', OPENCLAW_CONFIG_PATH: '', ANTHROPIC_BASE_URL: '' };
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: temp.dir, env });
  const place = (fixture: string, relative: string): string => {
    const file = path.join(home, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(path.join(FIXTURES, fixture), file);
    return file;
  };
  const record = () => JSON.parse(readFileSync(path.join(stateDir, 'integrations.json'), 'utf8')) as { clients: Record<string, { backup: string | null }> };
  return { temp, home, stateDir, config, env, cli, place, record };
}

function backupsOf(file: string): string[] {
  return readdirSync(path.dirname(file)).filter((name) => name.startsWith(`${path.basename(file)}.tokenpak-backup-`));
}

describe('tokenpak integrate', () => {
  let t: ReturnType<typeof setUp>;
  beforeEach(() => (t = setUp()));
  afterEach(() => t.temp.cleanup());

  test('codex (API key): only model_provider and [model_providers.tokenpak] change; --undo is byte-identical', () => {
    const file = t.place('codex-config.toml', '.codex/config.toml');
    const original = readFileSync(file, 'utf8');

    const result = t.cli('integrate', 'codex');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mode: API key');
    const expected =
      original.replace(`model_provider = 'mock'     # single quotes`, `model_provider = "tokenpak"     # single quotes`) +
      `\n[model_providers.tokenpak]\nname = "TokenPak"\nwire_api = "responses"\nbase_url = "${PROXY}/v1"\nenv_key = "OPENAI_API_KEY"\n`;
    expect(readFileSync(file, 'utf8')).toBe(expected);
    expect(backupsOf(file)).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(file), backupsOf(file)[0]!), 'utf8')).toBe(original);

    const undo = t.cli('integrate', 'codex', '--undo');
    expect(undo.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(t.record().clients.codex).toBeUndefined();
  });

  test('codex with a ChatGPT login: the ChatGPT-login provider shape, and says which mode it chose', () => {
    const file = t.place('codex-config.toml', '.codex/config.toml');
    t.place('codex-auth-chatgpt.json', '.codex/auth.json');
    const original = readFileSync(file, 'utf8');

    const result = t.cli('integrate', 'codex');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mode: ChatGPT login');
    expect(result.stdout + result.stderr).not.toMatch(/fake-(access|refresh|id)-token/);
    const integrated = readFileSync(file, 'utf8');
    expect(integrated).toBe(
      original.replace(
        `model_provider = 'mock'     # single quotes on purpose\n`,
        `model_provider = "tokenpak"     # single quotes on purpose\nchatgpt_base_url = "${PROXY}/backend-api/"\n`,
      ) + `\n[model_providers.tokenpak]\nname = "TokenPak"\nwire_api = "responses"\nbase_url = "${PROXY}/backend-api/codex"\nrequires_openai_auth = true\n`,
    );
    // chatgpt_base_url is a top-level key: written after the last top-level key, before the first table.
    expect(integrated.indexOf(`chatgpt_base_url = "${PROXY}/backend-api/"\n`)).toBeGreaterThan(-1);
    expect(integrated.indexOf('chatgpt_base_url')).toBeLessThan(integrated.indexOf('[profiles.fast]'));

    expect(t.cli('integrate', 'codex', '--undo').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  test('claude-code: only env.ANTHROPIC_BASE_URL is added (tabs, comment, other keys kept); --undo is byte-identical', () => {
    const file = t.place('claude-settings.json', '.claude/settings.json');
    const original = readFileSync(file, 'utf8');

    const result = t.cli('integrate', 'claude-code');
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      original.replace('\t\t"DISABLE_TELEMETRY": "1"\n', `\t\t"DISABLE_TELEMETRY": "1",\n\t\t"ANTHROPIC_BASE_URL": "${PROXY}"\n`),
    );

    expect(t.cli('integrate', 'claude-code', '--undo').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  test('claude-code without a settings file: creates it, and --undo removes it again', () => {
    const file = path.join(t.home, '.claude', 'settings.json');
    expect(t.cli('integrate', 'claude-code').code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ env: { ANTHROPIC_BASE_URL: PROXY } });
    expect(t.cli('integrate', 'claude-code', '--undo').code).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  test('openclaw: the Anthropic and OpenAI entries get the proxy; the other provider and everything else stay', () => {
    const file = t.place('openclaw.json', '.openclaw/openclaw.json');
    const original = readFileSync(file, 'utf8');

    const result = t.cli('integrate', 'openclaw');
    expect(result.code).toBe(0);
    const integrated = readFileSync(file, 'utf8');
    const parsed = parseJsonc(integrated) as { models: { providers: Record<string, { baseUrl?: string; headers?: unknown }> } };
    expect(parsed.models.providers.anthropic!.baseUrl).toBe(PROXY);
    expect(parsed.models.providers.openai!.baseUrl).toBe(`${PROXY}/v1`);
    expect(parsed.models.providers.openai!.headers).toEqual({ 'x-static-test': '1' });
    expect(parsed.models.providers.litellm!.baseUrl).toBe('http://localhost:4000/v1');
    // Outside the two edited provider entries, not one byte differs.
    const outside = (text: string) => {
      const root = parseTree(text)!;
      const spans = ['anthropic', 'openai'].map((name) => findNodeAtLocation(root, ['models', 'providers', name])!).sort((a, b) => b.offset - a.offset);
      return spans.reduce((rest, node) => rest.slice(0, node.offset) + rest.slice(node.offset + node.length), text);
    };
    expect(outside(integrated)).toBe(outside(original));

    expect(t.cli('integrate', 'openclaw', '--undo').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  test('--dry-run prints the diff and writes nothing', () => {
    const file = t.place('codex-config.toml', '.codex/config.toml');
    const original = readFileSync(file, 'utf8');
    const result = t.cli('integrate', 'codex', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`-model_provider = 'mock'     # single quotes on purpose`);
    expect(result.stdout).toContain(`+model_provider = "tokenpak"     # single quotes on purpose`);
    expect(result.stdout).toContain('+[model_providers.tokenpak]');
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(backupsOf(file)).toHaveLength(0);
    expect(existsSync(path.join(t.stateDir, 'integrations.json'))).toBe(false);
  });

  test('integrating again (the port changed) keeps the original values for --undo', () => {
    const file = t.place('codex-config.toml', '.codex/config.toml');
    const original = readFileSync(file, 'utf8');
    expect(t.cli('integrate', 'codex').code).toBe(0);
    writeFileSync(t.config, JSON.stringify({ server: { port: PORT + 1 } }));
    expect(t.cli('integrate', 'codex').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(`base_url = "http://127.0.0.1:${PORT + 1}/v1"`);
    expect(t.cli('integrate', 'codex', '--undo').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  test.each([
    ['codex', '.codex/config.toml', 'model = "gpt-5-codex"\n[model_providers.mock\nname = "x"\n', /not valid TOML/],
    ['claude-code', '.claude/settings.json', '{ "env": { "A": "1" }, oops }\n', /not valid JSON/],
    ['openclaw', '.openclaw/openclaw.json', '{ models: { providers: {} } }\n', /not valid JSON/],
  ])('%s: a config that does not parse is left alone, exit 1', (client, relative, text, message) => {
    const file = path.join(t.home, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    const before = statSync(file).mtimeMs;
    const result = t.cli('integrate', client);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('left unchanged');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mtimeMs).toBe(before);
    expect(backupsOf(file)).toHaveLength(0);
    expect(existsSync(path.join(t.stateDir, 'integrations.json'))).toBe(false);
  });

  test('codex: a tokenpak provider written as dotted keys is refused, not rewritten', () => {
    const file = path.join(t.home, '.codex', 'config.toml');
    mkdirSync(path.dirname(file), { recursive: true });
    const text = 'model_provider = "tokenpak"\nmodel_providers.tokenpak.base_url = "http://elsewhere/v1"\n';
    writeFileSync(file, text);
    const result = t.cli('integrate', 'codex');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('in a form tokenpak integrate does not edit');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(backupsOf(file)).toHaveLength(0);
  });

  test('--undo with nothing recorded exits 1 and touches nothing; an unknown client is a usage error', () => {
    const file = t.place('claude-settings.json', '.claude/settings.json');
    const original = readFileSync(file, 'utf8');
    const result = t.cli('integrate', 'claude-code', '--undo');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing to undo');
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(t.cli('integrate', 'vscode').code).toBe(64);
  });
});
