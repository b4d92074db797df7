import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/**
 * `TOKENPAK_DUMP_HEADERS=1` / `log.dumpHeaders: true` (issue part 9): one log line per
 * proxied request with every header name, the values of routing-relevant headers, and
 * `<redacted:N>` for credentials — and no secret value in any log line.
 */

const SECRETS = {
  authorization: 'Bearer sk-ant-oat01-DUMPoauth-000000000001',
  'x-api-key': 'sk-ant-api03-DUMPkey-000000000002',
  cookie: 'sessionKey=DUMPcookie-000000000003',
  'chatgpt-account-id': 'acct-DUMP-000000000004',
  'x-relay-token': 'DUMPrelay-000000000005',
} as const;
const SECRET_MARKERS = ['DUMPoauth-000000000001', 'DUMPkey-000000000002', 'DUMPcookie-000000000003', 'acct-DUMP-000000000004', 'DUMPrelay-000000000005'];

const ROUTING = {
  'User-Agent': 'claude-cli/2.1.197 (external, sdk-cli)',
  'X-Claude-Code-Session-Id': 'dump-session-1234',
  'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20',
  'anthropic-version': '2023-06-01',
  'X-TokenPak-Provider': 'tokenpak-anthropic',
  'X-OpenClaw-Session': 'dump-openclaw-5678',
} as const;

const BODY = '{"model":"claude-mock-1","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}';

describe('header dump', () => {
  let upstream: MockUpstream;
  let byEnv: RunningProxy;
  let byConfig: RunningProxy;
  let off: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    const providers = upstreamsAt(upstream.url);
    [byEnv, byConfig, off] = await Promise.all([
      startProxy({ companion: { dispatch: false }, providers }, { TOKENPAK_DUMP_HEADERS: '1' }),
      startProxy({ companion: { dispatch: false }, providers, log: { dumpHeaders: true } }),
      startProxy({ companion: { dispatch: false }, providers }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([byEnv, byConfig, off].filter(Boolean).map((running) => running.stop()));
    await upstream.close();
  });

  async function send(proxy: RunningProxy, extra: Record<string, string> = {}): Promise<string> {
    const response = await rawRequest(`${proxy.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { ...ROUTING, ...SECRETS, 'x-static-test': 'plain-value-not-routing', 'content-type': 'application/json', ...extra },
      body: BODY,
    });
    expect(response.status).toBe(200);
    return String(response.headers['x-tokenpak-request-id']);
  }

  const linesFor = (proxy: RunningProxy, requestId: string): string[] => proxy.logs.filter((line) => line.includes(requestId));

  describe.each([
    ['TOKENPAK_DUMP_HEADERS=1', () => byEnv],
    ['log.dumpHeaders: true', () => byConfig],
  ])('%s', (_name, current) => {
    test('one line per proxied request, naming every header, routing values shown, credentials <redacted:N>', async () => {
      const proxy = current();
      const requestId = await send(proxy);
      const lines = linesFor(proxy, requestId);
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      for (const name of [...Object.keys(ROUTING), ...Object.keys(SECRETS), 'x-static-test', 'content-type', 'content-length', 'host']) {
        expect(line).toContain(name.toLowerCase());
      }
      for (const value of Object.values(ROUTING)) expect(line).toContain(value);
      for (const [name, value] of Object.entries(SECRETS)) expect(line).toMatch(new RegExp(`${name}\\W{0,3}<redacted:${value.length}>`));
      for (const secret of SECRET_MARKERS) expect(line).not.toContain(secret);
    });

    test('a second request gets its own line; control endpoints are not dumped', async () => {
      const proxy = current();
      const first = await send(proxy, { 'User-Agent': 'openclaw' });
      const second = await send(proxy, { 'User-Agent': 'OpenAI/JS 7.15.0' });
      expect(linesFor(proxy, first)).toHaveLength(1);
      expect(linesFor(proxy, second)).toHaveLength(1);
      expect(linesFor(proxy, first)[0]).toContain('openclaw');
      expect(linesFor(proxy, second)[0]).toContain('OpenAI/JS 7.15.0');

      const before = proxy.logs.length;
      await rawRequest(`${proxy.url}/tokenpak/route`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...SECRETS },
        body: '{"path":"/v1/messages","headers":{}}',
      });
      await rawRequest(`${proxy.url}/tokenpak/health`);
      expect(proxy.logs.slice(before).filter((line) => line.includes('x-relay-token'))).toEqual([]);
    });

    test('no secret value appears in any log line', () => {
      const all = current().logs.join('');
      for (const secret of SECRET_MARKERS) expect(all).not.toContain(secret);
    });
  });

  test('off by default: no header dump lines', async () => {
    const requestId = await send(off);
    expect(off.logs.filter((line) => line.includes('x-static-test'))).toEqual([]);
    expect(off.logs.filter((line) => line.includes(requestId) && line.includes('user-agent'))).toEqual([]);
    const all = off.logs.join('');
    for (const secret of SECRET_MARKERS) expect(all).not.toContain(secret);
  });
});
