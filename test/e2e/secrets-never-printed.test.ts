import { captureBody, loadCaptures, replayHeaders, type CapturedRequest } from '../support/captures';
import { runCli } from '../support/cli-process';
import { startCliProxy, type CliProxy } from '../support/cli-proxy';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { upstreamsAt } from '../support/proxy-harness';

const CLAUDE_FILE_TOKEN = 'sk-ant-oat01-secret-claude-file-token-XYZ';
const CODEX_FILE_TOKEN = 'eyJsecret.codex.file-token-XYZ';
const AUTH_TOKEN = 'tokenpak-shared-secret-0123456789';

/** Every credential value in the captures (keys, bearer tokens, cookies). */
function captureSecrets(captures: readonly CapturedRequest[]): string[] {
  const secrets = new Set<string>();
  for (const capture of captures) {
    for (const [name, value] of capture.rawHeaders) {
      const lower = name.toLowerCase();
      if (lower === 'authorization') secrets.add(value.replace(/^bearer\s+/i, ''));
      if (lower === 'x-api-key' || lower === 'cookie') secrets.add(value);
    }
  }
  return [...secrets].filter((secret) => secret.length >= 8);
}

/**
 * Drives the real `tokenpak start` process through everything that prints: debug logs,
 * header dumps, replays of every captured request, credential failures, upstream
 * failures, the dry run, status and config — then greps all of it for secrets.
 */
describe('secrets never appear in anything TokenPak prints', () => {
  let upstream: MockUpstream;
  let proxy: CliProxy;
  const captures = [...loadCaptures('claude-code'), ...loadCaptures('openclaw'), ...loadCaptures('codex')];
  const secrets = [...captureSecrets(captures), CLAUDE_FILE_TOKEN, CODEX_FILE_TOKEN, AUTH_TOKEN];
  const printed: string[] = [];

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startCliProxy(
      {
        server: { authToken: AUTH_TOKEN },
        log: { level: 'debug', dumpHeaders: true },
        providers: {
          ...upstreamsAt(upstream.url),
          'tokenpak-claude-code': { upstream: upstream.url, credentials: 'claude-login' },
          'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex`, credentials: 'codex-login' },
        },
        companion: { dispatch: false },
      },
      {},
    );
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });

  test('replays, failures, dry run, status and config print no secret', async () => {
    const host = new URL(proxy.url).host;
    const auth = ['x-tokenpak-auth', AUTH_TOKEN, 'host', host];
    for (const capture of captures) {
      const body = captureBody(capture);
      const response = await rawRequest(`${proxy.url}${capture.url}`, {
        method: capture.method,
        headers: [...replayHeaders(capture, body, host), 'x-tokenpak-auth', AUTH_TOKEN],
        body,
      });
      printed.push(response.rawHeaders.join('\n'), response.body.toString());
    }
    // Credential files missing (claude-login / codex-login point at nothing): 401s with hints.
    for (const route of [
      { path: '/v1/messages', headers: ['x-tokenpak-backend', 'claude-code', 'x-api-key', 'sk-ant-api03-caller-key-ABCDEFG'] },
      { path: '/v1/responses', headers: ['originator', 'codex_exec', 'authorization', 'Bearer sk-proj-caller-key-ABCDEFG'] },
    ]) {
      const response = await rawRequest(`${proxy.url}${route.path}`, {
        method: 'POST',
        headers: [...route.headers, ...auth, 'content-type', 'application/json'],
        body: '{}',
      });
      printed.push(response.body.toString(), String(response.headers['x-tokenpak-route']));
    }
    // Wrong proxy auth token: 401, the presented token is not echoed.
    const wrongAuth = await rawRequest(`${proxy.url}/v1/models`, { headers: ['x-tokenpak-auth', 'wrong-token-value-1234567', 'host', host] });
    expect(wrongAuth.status).toBe(401);
    printed.push(wrongAuth.body.toString());
    // Upstream unreachable, with credentials on the request.
    const dead = await rawRequest(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: ['authorization', 'Bearer sk-proj-caller-key-ABCDEFG', 'x-tokenpak-provider', 'nowhere', ...auth],
      body: '{}',
    });
    printed.push(dead.body.toString());
    const dryRun = await rawRequest(`${proxy.url}/tokenpak/route`, {
      method: 'POST',
      headers: ['content-type', 'application/json', ...auth],
      body: JSON.stringify({
        path: '/v1/messages',
        headers: { authorization: `Bearer ${CLAUDE_FILE_TOKEN}`, 'x-api-key': 'sk-ant-api03-caller-key-ABCDEFG', cookie: 'session=abcdefgh12345' },
      }),
    });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.toString()).toContain('<redacted:');
    printed.push(dryRun.body.toString());
    const status = await rawRequest(`${proxy.url}/tokenpak/status`, { headers: auth });
    printed.push(status.body.toString());
    const config = runCli(['config', '--config', proxy.configPath], { env: { HOME: proxy.dir } });
    printed.push(config.stdout, config.stderr);
    const route = runCli(['route', '--config', proxy.configPath, '-H', `Authorization: Bearer ${CLAUDE_FILE_TOKEN}`, '-H', 'User-Agent: openclaw'], {
      env: { HOME: proxy.dir },
    });
    expect(route.code).toBe(0);
    printed.push(route.stdout, route.stderr);

    await proxy.stop();
    printed.push(proxy.cli.stdout(), proxy.cli.stderr());
    const everything = printed.join('\n');
    expect(proxy.cli.stderr()).toContain('headers='); // the dump really ran
    const leaked = [...secrets, 'sk-ant-api03-caller-key-ABCDEFG', 'sk-proj-caller-key-ABCDEFG', 'session=abcdefgh12345', 'wrong-token-value-1234567'].filter(
      (secret) => everything.includes(secret),
    );
    expect(leaked).toEqual([]);
  });
});
