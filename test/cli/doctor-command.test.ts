import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, runCli, runCliAsync, startCli } from '../support/cli-process';
import { startMockUpstream } from '../support/mock-upstream';
import { makeTempDir } from '../support/temp-dir';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'client-configs');
const ACCESS_TOKEN = 'sk-ant-oat01-doctor-test-access-token-0123456789';
const REFRESH_TOKEN = 'sk-ant-ort01-doctor-test-refresh-token-0123456789';

interface DoctorJson {
  ok: boolean;
  checks: Array<{ id: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }>;
}

/** A loopback port nobody listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A healthy set-up in a temp HOME: a fake `claude` that answers `--version`, a Claude login that
 * expires in an hour, a Codex ChatGPT login, the three clients integrated, a free port.
 */
async function healthySetUp() {
  const temp = makeTempDir('tokenpak-doctor-');
  const home = path.join(temp.dir, 'home');
  const stateDir = path.join(temp.dir, 'state');
  mkdirSync(path.join(home, '.claude'), { recursive: true });
  mkdirSync(path.join(home, '.codex'), { recursive: true });
  mkdirSync(path.join(home, '.openclaw'), { recursive: true });
  const claude = path.join(temp.dir, 'bin', 'claude');
  mkdirSync(path.dirname(claude));
  writeFileSync(claude, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "2.1.197 (Claude Code)"; exit 0; fi\necho "unexpected: $*" >&2\nexit 3\n');
  chmodSync(claude, 0o755);
  const credentials = path.join(home, '.claude', '.credentials.json');
  const writeLogin = (expiresAt: number, refresh: boolean) =>
    writeFileSync(
      credentials,
      JSON.stringify({ claudeAiOauth: { accessToken: ACCESS_TOKEN, ...(refresh ? { refreshToken: REFRESH_TOKEN } : {}), expiresAt, subscriptionType: 'max' } }),
    );
  writeLogin(Date.now() + 3_600_000, true);
  copyFileSync(path.join(FIXTURES, 'codex-auth-chatgpt.json'), path.join(home, '.codex', 'auth.json'));
  copyFileSync(path.join(FIXTURES, 'claude-settings.json'), path.join(home, '.claude', 'settings.json'));
  copyFileSync(path.join(FIXTURES, 'codex-config.toml'), path.join(home, '.codex', 'config.toml'));
  copyFileSync(path.join(FIXTURES, 'openclaw.json'), path.join(home, '.openclaw', 'openclaw.json'));
  const port = await freePort();
  const configFile = path.join(temp.dir, 'tokenpak.config.json');
  const writeConfig = (extra: Record<string, unknown> = {}) => writeFileSync(configFile, JSON.stringify({ server: { port }, ...extra }));
  writeConfig();
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    TOKENPAK_HOME: stateDir,
    TOKENPAK_CLAUDE_BIN: claude,
    CODEX_HOME: '',
    CLAUDE_CONFIG_DIR: '',
    OPENCLAW_CONFIG_PATH: '',
    ANTHROPIC_BASE_URL: '',
  };
  for (const client of ['claude-code', 'codex', 'openclaw']) {
    const result = runCli(['integrate', client, '--config', configFile], { cwd: temp.dir, env });
    if (result.code !== 0) throw new Error(`integrate ${client} failed: ${result.stderr}`);
  }
  const doctor = (...args: string[]) => runCliAsync(['doctor', ...args, '--config', configFile], { cwd: temp.dir, env });
  const doctorJson = async (...args: string[]) => {
    const result = await doctor('--json', ...args);
    return { ...result, json: JSON.parse(result.stdout) as DoctorJson };
  };
  return { temp, home, port, env, configFile, writeConfig, writeLogin, doctor, doctorJson };
}

const check = (json: DoctorJson, id: string) => {
  const found = json.checks.find((item) => item.id === id);
  if (!found) throw new Error(`no check ${id} in ${json.checks.map((item) => item.id).join(', ')}`);
  return found;
};

describe('tokenpak doctor', () => {
  let s: Awaited<ReturnType<typeof healthySetUp>>;
  beforeEach(async () => (s = await healthySetUp()));
  afterEach(() => s.temp.cleanup());

  test('a healthy set-up: every check ok, exit 0, one line per check, no secret printed', async () => {
    const text = await s.doctor();
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ ok, 0 warn, 0 fail$/);
    for (const line of lines.slice(0, -2)) expect(line).toMatch(/^ok {4}\S/);
    expect(text.stdout).toContain('claude CLI 2.1.197 (Claude Code)');
    expect(text.stdout).toContain('integration:codex');

    const { code, json, stdout } = await s.doctorJson();
    expect(code).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.checks.filter((item) => item.status !== 'ok')).toEqual([]);
    expect(check(json, 'claude-login').detail).toContain('max plan');
    expect(check(json, 'codex-login').detail).toContain('ChatGPT login');
    for (const client of ['claude-code', 'codex', 'openclaw']) expect(check(json, `integration:${client}`).detail).toContain('integrated');
    for (const secret of [ACCESS_TOKEN, REFRESH_TOKEN, 'fake-access-token', 'fake-refresh-token', '00000000-0000-0000-0000-000000000000']) {
      expect(stdout + text.stdout).not.toContain(secret);
    }
  });

  test('no claude CLI: fail with the fix, exit 1', async () => {
    s.env.TOKENPAK_CLAUDE_BIN = path.join(s.temp.dir, 'no-such-claude');
    const { code, json } = await s.doctorJson();
    expect(code).toBe(1);
    expect(json.ok).toBe(false);
    expect(check(json, 'claude')).toMatchObject({ status: 'fail', fix: expect.stringContaining('install Claude Code') });
    expect(check(json, 'claude').detail).toContain('not found');
  });

  test('an expired Claude login: fail without a refresh token, warn with one (the CLI refreshes it)', async () => {
    s.writeLogin(Date.now() - 60_000, false);
    let result = await s.doctorJson();
    expect(result.code).toBe(1);
    expect(check(result.json, 'claude-login')).toMatchObject({ status: 'fail', fix: expect.stringContaining('run "claude"') });
    expect(check(result.json, 'claude-login').detail).toContain('expired at');

    s.writeLogin(Date.now() - 60_000, true);
    result = await s.doctorJson();
    expect(check(result.json, 'claude-login').status).toBe('warn');
    expect(result.code).toBe(0);
  });

  test('a busy port (not a TokenPak): fail naming the port and the fix', async () => {
    const squatter: Server = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((resolve) => squatter.listen(s.port, '127.0.0.1', resolve));
    try {
      const { code, json } = await s.doctorJson();
      expect(code).toBe(1);
      const port = check(json, 'port');
      expect(port.status).toBe('fail');
      expect(port.detail).toContain(`port ${s.port} is busy`);
      expect(port.fix).toContain('server.port');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  test('a TokenPak already on the port: ok with its version', async () => {
    const server = await startCli([], { cwd: s.temp.dir, env: { ...s.env, TOKENPAK_PORT: String(s.port), TOKENPAK_LEDGER: '0' } });
    try {
      // The pid file `tokenpak start` keeps (JSON { pid, port, url, … }); extra fields are fine.
      writeFileSync(path.join(s.env.TOKENPAK_HOME!, 'tokenpak.pid'), JSON.stringify({ pid: server.child.pid, port: s.port, url: server.url, startedAt: 'x' }));
      const { json } = await s.doctorJson();
      expect(check(json, 'port')).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/^TokenPak \d+\.\d+\.\d+ is running at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)$/),
      });
      expect(check(json, 'port').detail).toContain(`(pid ${server.child.pid})`);
    } finally {
      await server.stop();
    }
  });

  test('a plugin that fails to load: warn with its reason and the fix', async () => {
    const pluginsDir = path.join(s.temp.dir, 'plugins', 'broken');
    mkdirSync(pluginsDir, { recursive: true });
    writeFileSync(path.join(pluginsDir, 'index.js'), 'module.exports = { this is not javascript');
    const { json } = await s.doctorJson();
    const plugin = check(json, 'plugin:broken');
    expect(plugin.status).toBe('warn');
    expect(plugin.detail).toContain('failed to load');
    expect(plugin.fix).toContain('plugins.disabled');
  });

  test('a client changed after integrate, and a client config that does not parse: warn with the fix', async () => {
    writeFileSync(path.join(s.home, '.claude', 'settings.json'), '{ "env": {} }\n');
    writeFileSync(path.join(s.home, '.openclaw', 'openclaw.json'), '{ not json');
    const { json } = await s.doctorJson();
    expect(check(json, 'integration:claude-code')).toMatchObject({ status: 'warn', fix: 'tokenpak integrate claude-code' });
    expect(check(json, 'integration:openclaw').status).toBe('warn');
    expect(check(json, 'integration:openclaw').detail).toContain('not valid JSON');
  });

  test('upstream URLs are shown without their query; user-info in an upstream is a config failure (no secret in the output)', async () => {
    s.writeConfig({ providers: { 'tokenpak-openai': { upstream: 'http://127.0.0.1:9/v1?api_key=sk-query-secret-123456' } } });
    const result = await s.doctorJson();
    expect(check(result.json, 'provider:tokenpak-openai').detail).toContain('tokenpak-openai → http://127.0.0.1:9/v1, credentials: caller');
    expect(result.stdout + result.stderr).not.toMatch(/sk-query-secret/);

    s.writeConfig({ providers: { 'tokenpak-openai': { upstream: 'http://gateway-user:sk-gateway-password-123456@127.0.0.1:9/v1' } } });
    const refused = await s.doctorJson();
    expect(check(refused.json, 'config')).toMatchObject({ status: 'fail' });
    expect(refused.stdout + refused.stderr).not.toMatch(/sk-gateway-password|gateway-user/);
  });

  test('--online makes one request per upstream (reachability + latency); without it, none', async () => {
    const upstream = await startMockUpstream((_request, res) => {
      res.writeHead(200).end();
    });
    try {
      // Every provider on the loopback mock: no test may reach a real upstream.
      const providers = ['tokenpak-anthropic', 'tokenpak-openai', 'tokenpak-claude-code', 'tokenpak-openai-codex'];
      s.writeConfig({ providers: Object.fromEntries(providers.map((name) => [name, { upstream: `${upstream.url}/${name}` }])) });
      await s.doctorJson();
      expect(upstream.requests).toHaveLength(0);

      const { json } = await s.doctorJson('--online');
      const online = json.checks.filter((item) => item.id.startsWith('online:'));
      expect(online.map((item) => item.id)).toEqual([`online:${upstream.url}`]);
      expect(online[0]).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/reachable \(HTTP 200, \d+ ms; tokenpak-anthropic, tokenpak-claude-code, tokenpak-openai, tokenpak-openai-codex\)/),
      });
      expect(upstream.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['HEAD /']);
      expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await upstream.close();
    }
  });
});
