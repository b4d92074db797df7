import { parseRouteHeader } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { captureBody, loadCaptures, replayHeaders } from '../support/captures';
import { rawRequest } from '../support/http-client';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

const FILE_TOKEN_1 = 'eyJfile.codex.token-one';
const FILE_TOKEN_2 = 'eyJfile.codex.token-two';
const CLAUDE_FILE_TOKEN = 'sk-ant-oat01-from-the-claude-login-file';

describe('Codex plugin and credential sources', () => {
  let upstream: MockUpstream;
  const temp = makeTempDir();
  const codexAuth = path.join(temp.dir, 'codex-auth.json');
  const claudeCredentials = path.join(temp.dir, 'claude-credentials.json');

  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    temp.cleanup();
  });
  beforeEach(() => upstream.requests.splice(0));

  const codexUpstream = () => ({ ...upstreamsAt(upstream.url), 'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex` } });

  describe('caller credentials (default)', () => {
    let proxy: RunningProxy;
    beforeAll(async () => {
      proxy = await startProxy({ providers: codexUpstream() });
    });
    afterAll(() => proxy.stop());

    test.each(loadCaptures('codex').map((capture) => [`${capture.tag} #${capture.seq} ${capture.method} ${capture.url}`, capture] as const))(
      'replays %s onto the upstream its credential belongs to, with the caller credentials',
      async (_name, capture) => {
        const body = captureBody(capture);
        const response = await rawRequest(`${proxy.url}${capture.url}`, {
          method: capture.method,
          headers: replayHeaders(capture, body, new URL(proxy.url).host),
          body,
        });
        expect(response.status).toBe(200);
        const route = parseRouteHeader(String(response.headers['x-tokenpak-route']));
        // By credential (§2.2): Codex with an API key (`sk-…`) is OpenAI API traffic, path kept.
        const apiKey = /^Bearer sk-/.test(capture.headers.authorization ?? '');
        if (apiKey) expect(route).toMatchObject({ platform: 'codex', provider: 'tokenpak-openai', backend: 'api', via: 'http' });
        else expect(route).toMatchObject({ platform: 'codex', provider: 'tokenpak-openai-codex', backend: 'codex', via: 'http' });
        const received = upstream.requests.at(-1)!;
        const [path, query = ''] = capture.url.split('?');
        const expectedPath = !apiKey && (path === '/v1/responses' || path === '/backend-api/codex/responses') ? '/backend-api/codex/responses' : path!;
        expect(received.url).toBe(query ? `${expectedPath}?${query}` : expectedPath);
        if (body) expect(received.bodySha256).toBe(sha256(body));
        expect(rawHeader(received.rawHeaders, 'authorization')).toBe(capture.headers.authorization);
        expect(rawHeader(received.rawHeaders, 'chatgpt-account-id')).toBe(capture.headers['chatgpt-account-id']);
        if (capture.headers['session-id']) expect(route.session).toBe(capture.headers['session-id']);
      },
    );

    test('a JWT bearer on /v1/messages is plain Anthropic traffic', async () => {
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(response.status).toBe(200);
      expect(parseRouteHeader(String(response.headers['x-tokenpak-route']))).toMatchObject({ platform: 'none', provider: 'none', backend: 'api' });
      expect(upstream.requests[0]!.url).toBe('/v1/messages');
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'authorization')).toBe('Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig');
    });

    test('WebSocket upgrade on /v1/responses is proxied to the Codex upstream, frames both ways', async () => {
      const wsUpstream = http.createServer();
      const wss = new WebSocketServer({ server: wsUpstream });
      const seen: { url?: string; headers?: http.IncomingHttpHeaders } = {};
      wss.on('connection', (socket, request) => {
        seen.url = request.url;
        seen.headers = request.headers;
        socket.on('message', (data) => {
          const frame = JSON.parse(data.toString()) as { type: string };
          socket.send(JSON.stringify({ type: 'response.created', echo: frame.type }));
          socket.send(JSON.stringify({ type: 'response.completed' }));
        });
      });
      await new Promise<void>((resolve) => wsUpstream.listen(0, '127.0.0.1', resolve));
      const wsPort = (wsUpstream.address() as AddressInfo).port;
      const wsProxy = await startProxy({ providers: { 'tokenpak-openai-codex': { upstream: `http://127.0.0.1:${wsPort}/backend-api/codex` } } });
      try {
        const client = new WebSocket(`${wsProxy.url.replace('http', 'ws')}/v1/responses`, {
          headers: {
            originator: 'codex_tui',
            authorization: 'Bearer eyJcaller.chatgpt.token',
            'chatgpt-account-id': 'acct-ws',
            'session-id': 'ws-session-1',
            'openai-beta': 'responses_websockets=2026-02-04',
            'x-tokenpak-provider': 'tokenpak-openai-codex',
          },
        });
        const upgradeHeaders = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
          client.once('upgrade', (response) => resolve(response.headers));
          client.once('error', reject);
        });
        expect(parseRouteHeader(String(upgradeHeaders['x-tokenpak-route']))).toMatchObject({ platform: 'codex', session: 'ws-session-1', backend: 'codex' });
        await new Promise<void>((resolve) => (client.readyState === WebSocket.OPEN ? resolve() : client.once('open', () => resolve())));
        const frames: string[] = [];
        const done = new Promise<void>((resolve) =>
          client.on('message', (data) => {
            frames.push(data.toString());
            if (frames.length === 2) resolve();
          }),
        );
        client.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex' }));
        await done;
        expect(frames.map((frame) => (JSON.parse(frame) as { type: string }).type)).toEqual(['response.created', 'response.completed']);
        expect(JSON.parse(frames[0]!)).toMatchObject({ echo: 'response.create' });
        expect(seen.url).toBe('/backend-api/codex/responses');
        expect(seen.headers).toMatchObject({
          authorization: 'Bearer eyJcaller.chatgpt.token',
          'chatgpt-account-id': 'acct-ws',
          originator: 'codex_tui',
          'openai-beta': 'responses_websockets=2026-02-04',
        });
        expect(Object.keys(seen.headers ?? {}).filter((name) => name.startsWith('x-tokenpak-'))).toEqual([]);
        client.close();
      } finally {
        await wsProxy.stop();
        wss.close();
        wsUpstream.closeAllConnections();
        await new Promise<void>((resolve) => wsUpstream.close(() => resolve()));
      }
    });

    test('a WebSocket upgrade with a foreign Host is refused', async () => {
      const client = new WebSocket(`${proxy.url.replace('http', 'ws')}/v1/responses`, { headers: { host: 'evil.example' } });
      const status = await new Promise<number>((resolve) => client.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(403);
    });
  });

  describe('codex-login', () => {
    let proxy: RunningProxy;
    beforeAll(async () => {
      writeFileSync(codexAuth, JSON.stringify({ tokens: { access_token: FILE_TOKEN_1, account_id: 'acct-file' } }));
      proxy = await startProxy({
        providers: { ...codexUpstream(), 'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex`, credentials: 'codex-login' } },
        credentials: { codex: codexAuth },
      });
    });
    afterAll(() => proxy.stop());

    const send = () =>
      rawRequest(`${proxy.url}/v1/responses`, {
        method: 'POST',
        // No credential: an API key would make this OpenAI API traffic (§2.2), not Codex login traffic.
        headers: { 'content-type': 'application/json', originator: 'codex_exec' },
        body: '{"model":"gpt-5-codex","input":"hi"}',
      });

    test('a request without a token reaches the upstream with the file token and account id; rotation is picked up', async () => {
      expect((await send()).status).toBe(200);
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'authorization')).toBe(`Bearer ${FILE_TOKEN_1}`);
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'chatgpt-account-id')).toBe('acct-file');
      expect(rawHeader(upstream.requests[0]!.rawHeaders, 'x-api-key')).toBeUndefined();

      writeFileSync(codexAuth, JSON.stringify({ tokens: { access_token: FILE_TOKEN_2 } }));
      expect((await send()).status).toBe(200);
      expect(rawHeader(upstream.requests[1]!.rawHeaders, 'authorization')).toBe(`Bearer ${FILE_TOKEN_2}`);
      expect(rawHeader(upstream.requests[1]!.rawHeaders, 'chatgpt-account-id')).toBeUndefined();
    });

    test('a missing login file → 401 in the OpenAI shape with the hint, nothing forwarded', async () => {
      writeFileSync(codexAuth, 'not json');
      const response = await send();
      expect(response.status).toBe(401);
      expect(response.headers['x-tokenpak-error']).toBe('1');
      const body = JSON.parse(response.body.toString()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('authentication_error');
      expect(body.error.message).toContain('codex login');
      expect(upstream.requests).toHaveLength(0);
      writeFileSync(codexAuth, JSON.stringify({ tokens: { access_token: FILE_TOKEN_1 } }));
    });
  });

  describe('claude-login (companion dispatch off)', () => {
    let proxy: RunningProxy;
    beforeAll(async () => {
      writeFileSync(claudeCredentials, JSON.stringify({ claudeAiOauth: { accessToken: CLAUDE_FILE_TOKEN, expiresAt: Date.now() + 3_600_000 } }));
      proxy = await startProxy({
        providers: { ...upstreamsAt(upstream.url), 'tokenpak-claude-code': { upstream: upstream.url, credentials: 'claude-login' } },
        credentials: { claudeCode: claudeCredentials },
        companion: { dispatch: false },
      });
    });
    afterAll(() => proxy.stop());

    test('an OpenClaw request reaches the upstream with the file bearer and merged beta, without the caller key', async () => {
      const capture = loadCaptures('openclaw').find((item) => item.url === '/v1/messages')!;
      const body = captureBody(capture)!;
      const headers = [...replayHeaders(capture, body, new URL(proxy.url).host), 'anthropic-beta', 'fine-grained-tool-streaming-2025-05-14'];
      const response = await rawRequest(`${proxy.url}${capture.url}`, { method: 'POST', headers, body });
      expect(response.status).toBe(200);
      expect(parseRouteHeader(String(response.headers['x-tokenpak-route']))).toMatchObject({
        platform: 'openclaw',
        provider: 'tokenpak-claude-code',
        backend: 'oauth',
        via: 'http',
      });
      const received = upstream.requests[0]!;
      expect(rawHeader(received.rawHeaders, 'authorization')).toBe(`Bearer ${CLAUDE_FILE_TOKEN}`);
      expect(rawHeader(received.rawHeaders, 'anthropic-beta')).toBe('fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20');
      expect(rawHeader(received.rawHeaders, 'x-api-key')).toBeUndefined();
      expect(received.bodySha256).toBe(sha256(body));
    });

    test('an expired login → 401 Anthropic authentication_error saying expired', async () => {
      writeFileSync(claudeCredentials, JSON.stringify({ claudeAiOauth: { accessToken: CLAUDE_FILE_TOKEN, expiresAt: Date.now() - 1000 } }));
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tokenpak-backend': 'claude-code', 'x-api-key': 'placeholder' },
        body: '{"model":"m","max_tokens":1,"messages":[]}',
      });
      expect(response.status).toBe(401);
      const body = JSON.parse(response.body.toString()) as { type: string; error: { type: string; message: string } };
      expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
      expect(body.error.message).toContain('expired');
      expect(body.error.message).toContain('log in');
      expect(response.body.toString()).not.toContain(CLAUDE_FILE_TOKEN);
      expect(upstream.requests).toHaveLength(0);
    });

    test('no log line ever contains a token', () => {
      const logs = proxy.logs.join('');
      for (const secret of [CLAUDE_FILE_TOKEN, 'sk-ant-fake-openclaw-key', 'placeholder']) expect(logs).not.toContain(secret);
    });
  });
});
