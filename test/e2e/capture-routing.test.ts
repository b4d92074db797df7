import { gzipSync } from 'node:zlib';
import { captureBody, loadCaptures, replayHeaders, type CapturedRequest } from '../support/captures';
import { rawRequest, type RawResponse } from '../support/http-client';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/**
 * The real clients' captured requests replayed through the running proxy, exact raw
 * headers and body: OpenClaw is recognised from its body (with the session id from the
 * `Runtime:` line), Claude Code lands in the Claude-Code family, Codex routes to Codex,
 * and the upstream receives byte-identical bodies in every case — inspected, too large
 * to inspect, compressed, or not wanted at all.
 */

const CAPTURE_SESSIONS: Record<string, string> = {
  '01-agent-exec-anthropic': 'ca7bd9a2-f17a-46d1-899e-4bed7f0b49e4',
  '04-custom-openai-responses': 'df2a2d89-937f-442c-afbf-6b2980fff28e',
  '05-custom-openai-completions': '79f34c5d-f657-4ffc-a427-d6a6b6770ce8',
};

const OPENCLAW = loadCaptures('openclaw');
const CLAUDE_CODE = loadCaptures('claude-code').filter((capture) => capture.url.startsWith('/v1/'));
const CODEX = loadCaptures('codex');
const OPENCLAW_ANTHROPIC = OPENCLAW.find((capture) => capture.tag === '01-agent-exec-anthropic')!;
const SMALL_LIMIT = 1000;

const route = (fields: { platform?: string; session?: string; provider?: string; source?: string; cls: string; backend: string }): string =>
  `platform=${fields.platform ?? 'none'}; session=${fields.session ?? 'none'}; provider=${fields.provider ?? 'none'}; ` +
  `source=${fields.source ?? 'none'}; class=${fields.cls}; backend=${fields.backend}; via=http`;

const openclawRoute = (tag: string, provider = 'tokenpak-claude-code', cls = 'claude-code-cli', backend = 'oauth'): string =>
  route({ platform: 'openclaw', session: CAPTURE_SESSIONS[tag], provider, source: 'signal:openclaw', cls, backend });

const NOT_DETECTED_ANTHROPIC = route({ cls: 'anthropic-sdk', backend: 'api' });

interface Sent {
  response: RawResponse;
  body: Buffer | undefined;
}

/** Replays a capture: its raw headers in order and spelling (Host and Content-Length made true), its body bytes. */
async function replay(proxy: RunningProxy, capture: CapturedRequest, edit?: { body?: Buffer; headers?(flat: string[]): string[] }): Promise<Sent> {
  const body = edit?.body ?? captureBody(capture);
  let headers = replayHeaders(capture, body, new URL(proxy.url).host);
  if (edit?.headers) headers = edit.headers(headers);
  const response = await rawRequest(`${proxy.url}${capture.url}`, { method: capture.method, headers, body });
  return { response, body };
}

function withoutHeaders(flat: string[], ...names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (!names.includes(flat[i]!.toLowerCase())) out.push(flat[i]!, flat[i + 1]!);
  return out;
}

describe('captured client requests through the proxy', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let smallLimit: RunningProxy;
  let noBody: RunningProxy;
  let tuned: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    const providers = upstreamsAt(upstream.url);
    [proxy, smallLimit, noBody, tuned] = await Promise.all([
      startProxy({ companion: { dispatch: false }, providers }),
      startProxy({ companion: { dispatch: false }, providers, routing: { maxInspectBytes: SMALL_LIMIT } }),
      startProxy({ companion: { dispatch: false }, providers, plugins: { settings: { openclaw: { detectFromBody: false } } } }),
      startProxy({
        companion: { dispatch: false },
        providers,
        plugins: { settings: { openclaw: { userAgentPrefixes: ['hermes'], defaultProvider: 'tokenpak-anthropic' } } },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([proxy, smallLimit, noBody, tuned].filter(Boolean).map((running) => running.stop()));
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  function expectForwardedUnchanged(sent: Sent): void {
    expect(upstream.requests).toHaveLength(1);
    const received = upstream.requests[0]!;
    if (sent.body === undefined) expect(received.body.length).toBe(0);
    else {
      expect(received.body.length).toBe(sent.body.length);
      expect(received.bodySha256).toBe(sha256(sent.body));
    }
  }

  describe('OpenClaw', () => {
    test.each(OPENCLAW.map((capture) => [capture.tag, capture] as const))(
      '%s → platform=openclaw, session from the body, body byte-identical',
      async (_tag, capture) => {
        const sent = await replay(proxy, capture);
        expect(sent.response.status).toBe(200);
        expect(sent.response.headers['x-tokenpak-route']).toBe(openclawRoute(capture.tag));
        expectForwardedUnchanged(sent);
        expect(upstream.requests[0]!.url).toBe(capture.url);
        // Static headers from OpenClaw's provider entry go upstream untouched.
        if (capture.headers['x-static-test']) expect(rawHeader(upstream.requests[0]!.rawHeaders, 'x-static-test')).toBe(capture.headers['x-static-test']);
      },
    );

    test('the same body without the fingerprint headers is not inspected: platform=none, body byte-identical', async () => {
      const sent = await replay(proxy, OPENCLAW_ANTHROPIC, { headers: (flat) => withoutHeaders(flat, 'sec-fetch-mode', 'accept-language') });
      expect(sent.response.headers['x-tokenpak-route']).toBe(NOT_DETECTED_ANTHROPIC);
      expectForwardedUnchanged(sent);
    });

    test(`a body larger than routing.maxInspectBytes (${SMALL_LIMIT}) is not inspected but forwarded byte-identical`, async () => {
      const sent = await replay(smallLimit, OPENCLAW_ANTHROPIC);
      expect(sent.body!.length).toBeGreaterThan(SMALL_LIMIT);
      expect(sent.response.status).toBe(200);
      expect(sent.response.headers['x-tokenpak-route']).toBe(NOT_DETECTED_ANTHROPIC);
      expectForwardedUnchanged(sent);
    });

    test('… also when it arrives chunked, with no Content-Length to tell its size up front', async () => {
      const sent = await replay(smallLimit, OPENCLAW_ANTHROPIC, {
        headers: (flat) => [...withoutHeaders(flat, 'content-length'), 'transfer-encoding', 'chunked'],
      });
      expect(sent.response.status).toBe(200);
      expect(sent.response.headers['x-tokenpak-route']).toBe(NOT_DETECTED_ANTHROPIC);
      expectForwardedUnchanged(sent);
      expect(upstream.requests[0]!.headers['content-length']).toBeUndefined();
    });

    test('a body under the limit is still inspected by the small-limit proxy', async () => {
      const small = {
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
        stream: true,
        system: [{ type: 'text', text: '<!-- openclaw:attempt:STABLE -->\nRuntime: agent=main | sessionId=small-body-session-1 | host=vm' }],
      };
      const body = Buffer.from(JSON.stringify(small));
      expect(body.length).toBeLessThan(SMALL_LIMIT);
      const sent = await replay(smallLimit, OPENCLAW_ANTHROPIC, { body });
      expect(sent.response.headers['x-tokenpak-route']).toBe(
        route({
          platform: 'openclaw',
          session: 'small-body-session-1',
          provider: 'tokenpak-claude-code',
          source: 'signal:openclaw',
          cls: 'claude-code-cli',
          backend: 'oauth',
        }),
      );
      expectForwardedUnchanged(sent);
    });

    test('the dry run for a body over the limit gives the decision the proxy made, and says why', async () => {
      const response = await rawRequest(`${smallLimit.url}/tokenpak/route`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: OPENCLAW_ANTHROPIC.url, headers: OPENCLAW_ANTHROPIC.headers, body: OPENCLAW_ANTHROPIC.bodyJson }),
      });
      const dry = JSON.parse(response.body.toString('utf8')) as { routeHeader: string; reasons: string[] };
      expect(dry.routeHeader).toBe(NOT_DETECTED_ANTHROPIC);
      expect(dry.reasons.join('\n')).toMatch(/maxInspectBytes/);
    });

    test('a gzip-encoded body is not inspected and is forwarded unchanged (content-encoding kept)', async () => {
      const gzipped = gzipSync(captureBody(OPENCLAW_ANTHROPIC)!);
      const sent = await replay(proxy, OPENCLAW_ANTHROPIC, { body: gzipped, headers: (flat) => [...flat, 'content-encoding', 'gzip'] });
      expect(sent.response.status).toBe(200);
      expect(sent.response.headers['x-tokenpak-route']).toBe(NOT_DETECTED_ANTHROPIC);
      expectForwardedUnchanged(sent);
      expect(upstream.requests[0]!.headers['content-encoding']).toBe('gzip');
    });

    test('the dry run for a gzip-encoded request gives the decision the proxy made (not inspected)', async () => {
      const gzipped = gzipSync(captureBody(OPENCLAW_ANTHROPIC)!);
      const sent = await replay(proxy, OPENCLAW_ANTHROPIC, { body: gzipped, headers: (flat) => [...flat, 'content-encoding', 'gzip'] });
      const response = await rawRequest(`${proxy.url}/tokenpak/route`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          path: OPENCLAW_ANTHROPIC.url,
          headers: { ...OPENCLAW_ANTHROPIC.headers, 'content-encoding': 'gzip' },
          body: OPENCLAW_ANTHROPIC.bodyJson,
        }),
      });
      const dry = JSON.parse(response.body.toString('utf8')) as { routeHeader: string; reasons: string[] };
      expect(dry.routeHeader).toBe(sent.response.headers['x-tokenpak-route']);
    });

    test('a fingerprinted request whose body is not JSON is forwarded unchanged, platform=none', async () => {
      const body = Buffer.from('not json at all \u0000\u00ff', 'latin1');
      const sent = await replay(proxy, OPENCLAW_ANTHROPIC, { body });
      expect(sent.response.headers['x-tokenpak-route']).toBe(NOT_DETECTED_ANTHROPIC);
      expectForwardedUnchanged(sent);
    });

    test('detectFromBody: false → captures route platform=none, bodies byte-identical', async () => {
      for (const capture of OPENCLAW) {
        upstream.requests.splice(0);
        const sent = await replay(noBody, capture);
        expect(sent.response.headers['x-tokenpak-route']).toMatch(/^platform=none; session=none; provider=none; source=none; /);
        expectForwardedUnchanged(sent);
      }
    });

    test('userAgentPrefixes and defaultProvider settings apply to header- and body-detected traffic', async () => {
      const byAgent = await rawRequest(`${tuned.url}/v1/messages`, {
        method: 'POST',
        headers: { 'User-Agent': 'Hermes/1.0', 'x-api-key': 'sk-ant-api03-TUNEDkey-000001', 'content-type': 'application/json' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(byAgent.headers['x-tokenpak-route']).toBe(
        route({ platform: 'openclaw', provider: 'tokenpak-anthropic', source: 'signal:openclaw', cls: 'anthropic-sdk', backend: 'api' }),
      );

      upstream.requests.splice(0);
      const sent = await replay(tuned, OPENCLAW_ANTHROPIC);
      expect(sent.response.headers['x-tokenpak-route']).toBe(openclawRoute(OPENCLAW_ANTHROPIC.tag, 'tokenpak-anthropic', 'anthropic-sdk', 'api'));
      expectForwardedUnchanged(sent);
    });
  });

  describe('Claude Code', () => {
    test('there are Claude Code model calls to replay', () => {
      expect(CLAUDE_CODE.length).toBeGreaterThanOrEqual(10);
    });

    test.each(CLAUDE_CODE.map((capture, index) => [`${capture.tag} #${index}`, capture] as const))(
      '%s lands in the Claude-Code family as platform claude-code, body byte-identical',
      async (_name, capture) => {
        const sent = await replay(proxy, capture);
        expect(sent.response.status).toBe(200);
        expect(String(sent.response.headers['x-tokenpak-route'])).toMatch(/; class=claude-code-[a-z]+; /);
        // The claude-code signal names platform and session only: provider, class and backend are unchanged (§2.2).
        const session = capture.headers['x-claude-code-session-id'];
        expect(session).toBeTruthy();
        expect(sent.response.headers['x-tokenpak-route']).toBe(route({ platform: 'claude-code', session, cls: 'claude-code-cli', backend: 'oauth' }));
        expectForwardedUnchanged(sent);
        expect(upstream.requests[0]!.url).toBe(capture.url);
      },
    );
  });

  describe('Codex', () => {
    test.each(CODEX.map((capture, index) => [`${capture.tag} #${index} ${capture.method} ${capture.url}`, capture] as const))(
      '%s → platform=codex, body byte-identical',
      async (_name, capture) => {
        const sent = await replay(proxy, capture);
        const path = capture.url.split('?')[0]!;
        const session = capture.headers['session-id'];
        expect(sent.response.status).toBe(200);
        // By credential (§2.2): an API key (`sk-…`) → the OpenAI API; a ChatGPT login or none → the Codex upstream.
        const apiKey = /^Bearer sk-/.test(capture.headers.authorization ?? '');
        expect(sent.response.headers['x-tokenpak-route']).toBe(
          route({
            platform: 'codex',
            session,
            provider: apiKey ? 'tokenpak-openai' : 'tokenpak-openai-codex',
            source: 'signal:codex',
            cls: path === '/v1/responses' ? 'openai-sdk' : 'generic',
            backend: apiKey ? 'api' : 'codex',
          }),
        );
        expectForwardedUnchanged(sent);
      },
    );

    test('the forward goes where the Codex issue says: with an API key the path is kept (OpenAI API); otherwise /v1/responses and /backend-api/codex/responses → {upstream}/responses; other /backend-api/* keep their path on the upstream origin', async () => {
      const sentTo: Array<{ from: string; to: string }> = [];
      for (const capture of CODEX) {
        upstream.requests.splice(0);
        await replay(proxy, capture);
        sentTo.push({ from: capture.url, to: upstream.requests[0]!.url });
      }
      const apiKey = (capture: (typeof CODEX)[number]): boolean => /^Bearer sk-/.test(capture.headers.authorization ?? '');
      expect(sentTo).toEqual(
        CODEX.map((capture) => ({
          from: capture.url,
          to: apiKey(capture)
            ? capture.url
            : capture.url.startsWith('/v1/responses')
              ? capture.url.replace('/v1/responses', '/responses')
              : capture.url.startsWith('/backend-api/codex/responses')
                ? capture.url.replace('/backend-api/codex/responses', '/responses')
                : capture.url,
        })),
      );
    });

    test('the model calls carry a session', () => {
      expect(
        CODEX.filter((capture) => capture.method === 'POST' && capture.url.endsWith('/responses')).every((capture) => !!capture.headers['session-id']),
      ).toBe(true);
    });
  });
});
