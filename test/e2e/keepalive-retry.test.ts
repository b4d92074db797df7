import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CANNED } from '../support/canned-responses';
import { rawRequest } from '../support/http-client';
import { sha256 } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-retry' };
const ANSWER = JSON.stringify(CANNED.anthropicMessage);

/** A distinct ~2 KB Messages body per request, so a mixed-up resend would show. */
function messagesBody(index: number): string {
  return JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: `#${index} ${randomBytes(768).toString('hex')}` }] });
}

/** A plain upstream whose `onRequest` sees each request as it arrives (before its body is read). */
async function startRawUpstream(
  onRequest: (req: IncomingMessage, res: http.ServerResponse, index: number) => void,
): Promise<{ url: string; server: Server; count: () => number }> {
  let count = 0;
  const server = http.createServer((req, res) => onRequest(req, res, count++));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, count: () => count };
}

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('keep-alive close race: one safe retry on a fresh connection (ARCHITECTURE §7)', () => {
  describe('an upstream that closes each connection 0-3 ms after answering with connection: keep-alive', () => {
    let upstream: Awaited<ReturnType<typeof startRawUpstream>>;
    let proxy: RunningProxy;
    const received: string[] = [];

    beforeAll(async () => {
      upstream = await startRawUpstream((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          received.push(sha256(Buffer.concat(chunks)));
          // Taken now: a response lets go of its socket once it ended.
          const socket = res.socket;
          res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'content-length': String(Buffer.byteLength(ANSWER)) });
          res.end(ANSWER, () => setTimeout(() => socket?.destroy(), Math.floor(Math.random() * 4)));
        });
      });
      // Announces `Keep-Alive: timeout=65`, like a provider's CDN, so the proxy pools the connection.
      upstream.server.keepAliveTimeout = 65_000;
      proxy = await startProxy({ providers: upstreamsAt(upstream.url) });
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeServer(upstream.server);
    });

    test('500 sequential POSTs: none fails, and every body arrives byte-identical', async () => {
      const sent: string[] = [];
      const statuses: number[] = [];
      // The client keeps its own connection to the proxy, so requests follow each other as closely as an SDK's.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 500; i++) {
          const body = messagesBody(i);
          sent.push(sha256(body));
          const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body, agent });
          statuses.push(response.status);
        }
      } finally {
        agent.destroy();
      }
      const failures = statuses.filter((status) => status !== 200);
      expect(failures).toEqual([]);
      // Recorded once the whole body arrived: exactly one complete copy of each, in order.
      expect(received).toEqual(sent);
    }, 120_000);
  });

  describe('a reused connection that the upstream drops when the next request arrives', () => {
    let upstream: Awaited<ReturnType<typeof startRawUpstream>>;
    let received: Buffer[];

    beforeEach(async () => {
      received = [];
      // Request 0 is answered (its connection is pooled), request 1 on that connection is dropped unanswered, later ones answered.
      upstream = await startRawUpstream((req, res, index) => {
        if (index === 1) {
          req.socket.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          received.push(Buffer.concat(chunks));
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(ANSWER)) });
          res.end(ANSWER);
        });
      });
    });
    afterEach(async () => {
      await closeServer(upstream.server);
    });

    test('a body within routing.retryBufferBytes is sent once more on a fresh connection', async () => {
      const proxy = await startProxy({ providers: upstreamsAt(upstream.url) });
      try {
        expect((await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: messagesBody(0) })).status).toBe(200);
        const body = messagesBody(1);
        const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body });
        expect(response.status).toBe(200);
        expect(response.body.toString('utf8')).toBe(ANSWER);
        expect(upstream.count()).toBe(3);
        expect(sha256(received[1]!)).toBe(sha256(body));
      } finally {
        await proxy.stop();
      }
    });

    test("a body larger than routing.retryBufferBytes is not kept: no retry, 502 in the caller's shape", async () => {
      const proxy = await startProxy({ providers: upstreamsAt(upstream.url), routing: { retryBufferBytes: 1024 } });
      try {
        expect((await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: messagesBody(0).slice(0, 900) })).status).toBe(
          200,
        );
        const big = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: randomBytes(128 * 1024).toString('hex') }] });
        const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: big });
        expect(response.status).toBe(502);
        expect(response.headers['x-tokenpak-error']).toBe('1');
        expect(JSON.parse(response.body.toString('utf8'))).toEqual({
          type: 'error',
          error: { type: 'api_error', message: expect.stringMatching(/upstream/) as unknown, code: 'upstream_unreachable' },
        });
        expect(upstream.count()).toBe(2);
        // And the proxy keeps serving.
        expect((await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: '{}' })).status).toBe(200);
      } finally {
        await proxy.stop();
      }
    });
  });
});
