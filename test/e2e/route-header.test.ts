import { cannedResponse } from '../support/canned-responses';
import { runCli } from '../support/cli-process';
import { rawRequest, type RawResponse } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';
import { expectedRouteHeader, MATRIX, SECRET, writeAcmePlugin, type MatrixRow } from '../routing/precedence-rows';

/**
 * A representative subset of the precedence matrix through the running proxy: the
 * `x-tokenpak-route` header is exactly the grammar, and `tokenpak route --json`
 * and `POST /tokenpak/route` compute the same header for the same input.
 * Needs the built CLI (`npm run build`).
 */

interface DryRun {
  request: { method: string; path: string; headers: Record<string, string> };
  decision: {
    platform: string | null;
    sessionId: string | null;
    provider: string | null;
    providerSource: string;
    routeClass: string;
    backend: string;
    via: string;
    upstreamUrl: string;
  };
  routeHeader: string;
  reasons: string[];
}

const E2E_ROWS = MATRIX.filter((row) => row.e2e);
const BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

describe('x-tokenpak-route through the running proxy', () => {
  const pluginTemp = makeTempDir('tokenpak-route-header-');
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    // `tokenpak-dead` points at a closed loopback port: the proxy itself answers 502.
    proxy = await startProxy({
      companion: { dispatch: false },
      providers: { ...upstreamsAt(upstream.url), 'tokenpak-dead': { upstream: 'http://127.0.0.1:1' } },
      plugins: { dirs: [writeAcmePlugin(pluginTemp.dir)] },
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
    pluginTemp.cleanup();
  });

  const methodOf = (row: MatrixRow): string => row.method ?? 'POST';
  const pathOf = (row: MatrixRow): string => row.path ?? '/v1/messages';

  function send(row: MatrixRow): Promise<RawResponse> {
    const method = methodOf(row);
    const body = method === 'GET' ? undefined : BODY;
    const headers: Record<string, string> = { ...row.headers };
    if (body) headers['content-type'] = 'application/json';
    return rawRequest(`${proxy.url}${pathOf(row)}`, { method, headers, body });
  }

  async function dryRunPost(query: object): Promise<{ status: number; json: DryRun; text: string }> {
    const response = await rawRequest(`${proxy.url}/tokenpak/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(query),
    });
    const text = response.body.toString('utf8');
    return { status: response.status, json: JSON.parse(text) as DryRun, text };
  }

  function dryRunCli(row: MatrixRow): DryRun {
    const args = ['route', '--config', proxy.configPath, '--path', pathOf(row), '--method', methodOf(row), '--json'];
    for (const [name, value] of Object.entries(row.headers)) args.push('-H', `${name}: ${value}`);
    const result = runCli(args, { env: { HOME: proxy.dir } });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as DryRun;
  }

  test('the built CLI loads the same plugins as the proxy (otherwise rebuild: npm run build)', () => {
    const result = runCli(['plugins', '--config', proxy.configPath], { env: { HOME: proxy.dir } });
    expect(result.stdout).not.toMatch(/failed/);
    for (const name of ['acme-agent', 'codex', 'openclaw']) expect(result.stdout).toMatch(new RegExp(`^${name}\\s+loaded`, 'm'));
  });

  test('the subset is representative: at least 15 rows across every provider source and backend', () => {
    expect(E2E_ROWS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(E2E_ROWS.map((row) => row.expect.providerSource))).toEqual(
      new Set(['header', 'backend-header', 'signal:openclaw', 'signal:codex', 'signal:acme', 'none']),
    );
    expect(new Set(E2E_ROWS.map((row) => row.expect.backend))).toEqual(new Set(['api', 'oauth', 'codex']));
  });

  test.each(E2E_ROWS.map((row) => [`${row.id} ${row.title}`, row] as const))('%s', async (_name, row) => {
    const expected = expectedRouteHeader(row.expect);
    upstream.requests.splice(0);

    const response = await send(row);
    expect(response.status).toBe(200);
    expect(response.headers['x-tokenpak-route']).toBe(expected);
    expect(response.headers['x-tokenpak-request-id']).toMatch(/^\S+$/);

    const post = await dryRunPost({ method: methodOf(row), path: pathOf(row), headers: row.headers });
    expect(post.status).toBe(200);
    expect(post.json.routeHeader).toBe(expected);
    const unknown = row.unknownBackend;
    if (unknown) expect(post.json.reasons.some((reason) => reason.includes(unknown) && /unknown|ignored/i.test(reason))).toBe(true);

    const cli = dryRunCli(row);
    expect(cli.routeHeader).toBe(expected);
    expect(cli.decision).toEqual(post.json.decision);

    // The forward obeyed the decision the dry run describes: same upstream URL, nothing else sent.
    expect(upstream.requests).toHaveLength(1);
    const target = new URL(post.json.decision.upstreamUrl);
    expect(`${target.origin}${upstream.requests[0]!.url}`).toBe(`${target.origin}${target.pathname}${target.search}`);
    expect(target.origin).toBe(upstream.url);
  });

  test('a session id longer than 64 characters is cut in the header (dry run too); the grammar survives ; and =', async () => {
    const long = 'S'.repeat(40) + '-' + 'x'.repeat(60);
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'X-OpenClaw-Session': long, 'content-type': 'application/json' },
      body: BODY,
    });
    const header = String(response.headers['x-tokenpak-route']);
    expect(header).toBe(
      `platform=openclaw; session=${long.slice(0, 64)}; provider=tokenpak-claude-code; source=signal:openclaw; class=claude-code-cli; backend=oauth; via=http`,
    );
    const dry = await dryRunPost({ path: '/v1/messages', headers: { 'X-OpenClaw-Session': long } });
    expect(dry.json.routeHeader).toBe(header);
    expect(dry.json.decision.sessionId).toBe(long);

    const tricky = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'X-OpenClaw-Session': 'a;b=c; provider=evil', 'content-type': 'application/json' },
      body: BODY,
    });
    const fields = String(tricky.headers['x-tokenpak-route']).split('; ');
    expect(fields.map((field) => field.split('=')[0])).toEqual(['platform', 'session', 'provider', 'source', 'class', 'backend', 'via']);
    expect(fields[2]).toBe('provider=tokenpak-claude-code');
  });

  test('nothing secret ever appears in the header, even when a client puts a token where a name goes', async () => {
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'X-OpenClaw-Session': SECRET.oat, 'X-TokenPak-Provider': SECRET.apiKey, 'content-type': 'application/json' },
      body: BODY,
    });
    const header = String(response.headers['x-tokenpak-route']);
    expect(header).toMatch(/^platform=openclaw; session=\S+; provider=\S+; source=header; class=\S+; backend=\S+; via=http$/);
    expect(header).not.toContain(SECRET.oat);
    expect(header).not.toContain(SECRET.apiKey);
  });

  test('every proxied response carries the header: upstream errors and proxy-made errors too', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"type":"error","error":{"type":"overloaded_error","message":"busy"}}');
    });
    try {
      const failed = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'User-Agent': 'openclaw', 'content-type': 'application/json' },
        body: BODY,
      });
      expect(failed.status).toBe(503);
      expect(failed.headers['x-tokenpak-route']).toBe(
        'platform=openclaw; session=none; provider=tokenpak-claude-code; source=signal:openclaw; class=claude-code-cli; backend=oauth; via=http',
      );
      expect(failed.headers['x-tokenpak-request-id']).toBeDefined();
    } finally {
      upstream.setHandler(cannedResponse);
    }
    const unreachable = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'X-TokenPak-Provider': 'tokenpak-dead', 'content-type': 'application/json' },
      body: BODY,
    });
    expect(unreachable.status).toBe(502);
    expect(unreachable.headers['x-tokenpak-error']).toBe('1');
    expect(unreachable.headers['x-tokenpak-route']).toBe(
      'platform=none; session=none; provider=tokenpak-dead; source=header; class=anthropic-sdk; backend=api; via=http',
    );
  });
});
