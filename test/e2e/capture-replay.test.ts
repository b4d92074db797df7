import { captureBody, loadCaptures, replayHeaders, type CapturedRequest } from '../support/captures';
import { rawRequest } from '../support/http-client';
import { sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, type RunningProxy } from '../support/proxy-harness';
import { endToEndHeaders, pairs } from '../support/stream-helpers';

/**
 * Every request the real clients sent (test/fixtures/captures) replayed through the real
 * server with its exact raw headers and body: the upstream must receive the same body
 * bytes and every end-to-end header with the same spelling, order and value.
 */
const CLIENTS = ['claude-code', 'openclaw', 'codex'] as const;
const captures = CLIENTS.flatMap((client) => loadCaptures(client));
const isStartupProbe = (capture: CapturedRequest): boolean => capture.method === 'HEAD' && capture.url === '/';
const forwarded = captures.filter((capture) => !isStartupProbe(capture));
const probes = captures.filter(isStartupProbe);

/**
 * Where the mock sees a replayed request: Codex's `/v1/responses` maps onto `{codex upstream}/responses`,
 * except with an API key (`Bearer sk-…`), which is OpenAI API traffic with its path kept (§2.2).
 */
function expectedUpstreamUrl(capture: CapturedRequest): string {
  if (capture.client === 'codex' && !/^Bearer sk-/.test(capture.headers.authorization ?? ''))
    return capture.url.replace(/^\/v1\/responses(?=[/?]|$)/, '/backend-api/codex/responses');
  return capture.url;
}

const label = (capture: CapturedRequest): string => `${capture.client}/${capture.tag} #${capture.seq} ${capture.method} ${capture.url}`;

describe('captured client traffic replayed through the proxy', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let host: string;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({
      providers: {
        'tokenpak-anthropic': { upstream: upstream.url },
        'tokenpak-openai': { upstream: upstream.url },
        'tokenpak-claude-code': { upstream: upstream.url },
        'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex` },
      },
      // OpenClaw traffic resolves to tokenpak-claude-code: forward it over HTTP, not through a local `claude`.
      companion: { dispatch: false },
    });
    host = new URL(proxy.url).host;
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  test('the fixtures cover all three clients, with bodies and model calls', () => {
    for (const client of CLIENTS) expect(forwarded.filter((capture) => capture.client === client).length).toBeGreaterThan(0);
    expect(forwarded.filter((capture) => capture.bodyJson !== undefined).length).toBeGreaterThan(10);
    expect(probes.length).toBeGreaterThan(0);
  });

  test.each(probes.map((capture) => [label(capture), capture] as const))(
    '%s: the start-up probe is answered 200 by TokenPak itself',
    async (_name, capture) => {
      const response = await rawRequest(`${proxy.url}${capture.url}`, { method: capture.method, headers: replayHeaders(capture, undefined, host) });
      expect(response.status).toBe(200);
      expect(response.headers['x-tokenpak-request-id']).toMatch(/\S/);
      expect(upstream.requests).toHaveLength(0);
    },
  );

  test.each(forwarded.map((capture) => [label(capture), capture] as const))('%s: same body bytes and end-to-end headers upstream', async (_name, capture) => {
    const body = captureBody(capture);
    const sent = replayHeaders(capture, body, host);
    const response = await rawRequest(`${proxy.url}${capture.url}`, { method: capture.method, headers: sent, body });
    expect(response.headers['x-tokenpak-error']).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.headers['x-tokenpak-route']).toMatch(/\S/);

    expect(upstream.requests).toHaveLength(1);
    const [received] = upstream.requests;
    expect(received!.method).toBe(capture.method);
    expect(received!.url).toBe(expectedUpstreamUrl(capture));
    expect(received!.body.length).toBe(body?.length ?? 0);
    expect(received!.bodySha256).toBe(sha256(body ?? Buffer.alloc(0)));
    expect(pairs(endToEndHeaders(received!.rawHeaders))).toEqual(pairs(endToEndHeaders(sent)));
    expect(received!.headers.host).toBe(new URL(upstream.url).host);
  });
});
