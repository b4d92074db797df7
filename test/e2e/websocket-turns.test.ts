import { parseRouteHeader } from '@tokenpak/core';
import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { runCli } from '../support/cli-process';
import { waitForLedgerRows } from '../support/ledger-helpers';
import { startMockUpstream } from '../support/mock-upstream';
import { startProxy, type RunningProxy } from '../support/proxy-harness';
import { within } from '../support/stream-helpers';
import { responsesTurnEvents, startWebSocketUpstream, type WebSocketUpstream, type WsMessage } from '../support/websocket-upstream';

const CODEX_HEADERS = {
  originator: 'codex_tui',
  authorization: 'Bearer eyJcaller.chatgpt.token',
  'chatgpt-account-id': 'acct-ws',
  'session-id': 'ws-session-1',
  'openai-beta': 'responses_websockets=2026-02-04',
};

interface OpenClient {
  socket: WebSocket;
  headers: IncomingHttpHeaders;
  received: WsMessage[];
  /** Resolves once `count` messages arrived. */
  waitForMessages(count: number): Promise<void>;
}

async function openClient(proxyUrl: string, options: { perMessageDeflate?: boolean } = {}): Promise<OpenClient> {
  const socket = new WebSocket(`${proxyUrl.replace('http', 'ws')}/v1/responses`, {
    headers: CODEX_HEADERS,
    perMessageDeflate: options.perMessageDeflate ?? false,
  });
  const received: WsMessage[] = [];
  socket.on('message', (data: Buffer, isBinary) => received.push({ data: Buffer.from(data), isBinary }));
  const headers = await within(
    new Promise<IncomingHttpHeaders>((resolve, reject) => {
      socket.once('upgrade', (response) => resolve(response.headers));
      socket.once('error', reject);
    }),
    10_000,
    'the 101',
  );
  await within(new Promise<void>((resolve) => (socket.readyState === WebSocket.OPEN ? resolve() : socket.once('open', () => resolve()))), 10_000, 'open');
  return {
    socket,
    headers,
    received,
    async waitForMessages(count) {
      const deadline = Date.now() + 10_000;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`got ${received.length} of ${count} messages`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

async function status(proxyUrl: string): Promise<{ inFlight: number; byStatus: Record<string, number> }> {
  const snapshot = (await (await fetch(`${proxyUrl}/tokenpak/status`)).json()) as { inFlight: number; requests: { byStatus: Record<string, number> } };
  return { inFlight: snapshot.inFlight, byStatus: snapshot.requests.byStatus };
}

async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const createFrame = (model: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'response.create',
    model,
    instructions: 'be brief',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi ✓' }] }],
    ...extra,
  });

describe('WebSocket Responses turns through TokenPak', () => {
  let upstream: WebSocketUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream();
    proxy = await startProxy({ providers: { 'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex` } }, log: { dumpHeaders: true } });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });

  test('one turn: frames byte-identical both ways, counted in flight while open, one ledger row with the usage from response.completed', async () => {
    const client = await openClient(proxy.url);
    const requestId = String(client.headers['x-tokenpak-request-id']);
    expect(parseRouteHeader(String(client.headers['x-tokenpak-route']))).toMatchObject({ platform: 'codex', backend: 'codex', via: 'http' });
    const connection = await upstream.waitForConnections(1);
    expect((await status(proxy.url)).inFlight).toBe(1);

    const sent = [Buffer.from(createFrame('gpt-5-codex'), 'utf8')];
    client.socket.send(sent[0]!, { binary: false });
    await client.waitForMessages(3);
    // Byte-identical both ways: what the client sent is what the upstream got, and the reverse.
    expect(connection.received.map((message) => [message.data.toString('hex'), message.isBinary])).toEqual(sent.map((data) => [data.toString('hex'), false]));
    expect(client.received.map((message) => [message.data.toString('hex'), message.isBinary])).toEqual(
      connection.sent.map((message) => [message.data.toString('hex'), false]),
    );
    expect((await status(proxy.url)).inFlight).toBe(1);

    const rows = await waitForLedgerRows(proxy.url, [`${requestId}.1`]);
    const row = rows.get(`${requestId}.1`)!;
    expect(row).toMatchObject({
      method: 'WS',
      path: '/v1/responses',
      platform: 'codex',
      provider: 'tokenpak-openai-codex',
      model: 'gpt-5-codex',
      status: 101,
      errorType: null,
      // input_tokens 120 includes cached_tokens 20 (Responses usage): 100 uncached + 20 cache reads.
      inputTokens: 100,
      cacheReadTokens: 20,
      outputTokens: 7,
      bytesIn: sent[0]!.length,
      bytesOut: connection.sent.reduce((sum, message) => sum + message.data.length, 0),
    });
    expect(row.ttfbMs).not.toBeNull();
    expect(row.totalMs).toBeGreaterThanOrEqual(row.ttfbMs!);
    expect(proxy.logs.some((line) => line.includes(`request ${requestId} GET /v1/responses`))).toBe(true);

    client.socket.close();
    await waitUntil(async () => (await status(proxy.url)).inFlight === 0, 'inFlight back to 0');
    expect((await status(proxy.url)).byStatus['1xx']).toBeGreaterThanOrEqual(1);
    const after = await waitForLedgerRows(proxy.url, [`${requestId}.1`]);
    expect([...after.keys()].filter((id) => id.startsWith(`${requestId}.`))).toEqual([`${requestId}.1`]);

    // `tokenpak requests` (which reads the ledger file) shows the turn.
    const listed = runCli(['requests', '--json', '--config', proxy.configPath], { env: { HOME: proxy.dir } });
    expect(listed.code).toBe(0);
    const cliRows = JSON.parse(listed.stdout) as { requestId: string; method: string; status: number }[];
    expect(cliRows.find((cliRow) => cliRow.requestId === `${requestId}.1`)).toMatchObject({ method: 'WS', status: 101 });
    const table = runCli(['requests', '--config', proxy.configPath], { env: { HOME: proxy.dir } });
    expect(table.stdout).toMatch(/gpt-5-codex\s+101\b/);
  });

  test('an upgrade the upstream refuses: its answer relayed with the route header, one request row', async () => {
    const refusing = await startMockUpstream((_request, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'no', type: 'invalid_request_error', code: 'invalid_api_key' } }));
    });
    const refused = await startProxy({ providers: { 'tokenpak-openai-codex': { upstream: `${refusing.url}/backend-api/codex` } } });
    try {
      const socket = new WebSocket(`${refused.url.replace('http', 'ws')}/v1/responses`, { headers: CODEX_HEADERS, perMessageDeflate: false });
      socket.on('error', () => undefined);
      const response = await within(
        new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve) =>
          socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, headers: res.headers })),
        ),
        10_000,
        'the refusal',
      );
      expect(response.status).toBe(401);
      expect(parseRouteHeader(String(response.headers['x-tokenpak-route']))).toMatchObject({ platform: 'codex' });
      const requestId = String(response.headers['x-tokenpak-request-id']);
      const rows = await waitForLedgerRows(refused.url, [requestId]);
      expect(rows.get(requestId)).toMatchObject({ method: 'GET', status: 401, errorType: 'authentication_error' });
      await waitUntil(async () => (await status(refused.url)).inFlight === 0, 'inFlight back to 0');
    } finally {
      await refused.stop();
      await refusing.close();
    }
  });

  test('two turns on one socket → two rows', async () => {
    const client = await openClient(proxy.url);
    const requestId = String(client.headers['x-tokenpak-request-id']);
    client.socket.send(createFrame('gpt-5-codex'));
    await client.waitForMessages(3);
    client.socket.send(createFrame('gpt-5-mini', { previous_response_id: 'resp_1' }));
    await client.waitForMessages(6);
    const rows = await waitForLedgerRows(proxy.url, [`${requestId}.1`, `${requestId}.2`]);
    expect(rows.get(`${requestId}.1`)).toMatchObject({ model: 'gpt-5-codex', errorType: null, inputTokens: 100 });
    expect(rows.get(`${requestId}.2`)).toMatchObject({ model: 'gpt-5-mini', errorType: null, outputTokens: 7 });
    client.socket.close();
  });

  test('a socket closed mid-turn → a row with the error kind', async () => {
    upstream.setHandler((connection, message) => {
      const frame = JSON.parse(message.data.toString('utf8')) as { model: string };
      // Only the first event: the turn never ends.
      connection.send(responsesTurnEvents(frame.model, 'resp_held')[0]!);
    });
    try {
      const client = await openClient(proxy.url);
      const requestId = String(client.headers['x-tokenpak-request-id']);
      client.socket.send(createFrame('gpt-5-codex'));
      await client.waitForMessages(1);
      client.socket.terminate();
      const rows = await waitForLedgerRows(proxy.url, [`${requestId}.1`]);
      expect(rows.get(`${requestId}.1`)).toMatchObject({ method: 'WS', model: 'gpt-5-codex', errorType: 'client_closed', inputTokens: null });
      await waitUntil(async () => (await status(proxy.url)).inFlight === 0, 'inFlight back to 0');
    } finally {
      upstream.setHandler((connection, message) => {
        const frame = JSON.parse(message.data.toString('utf8')) as { model: string };
        for (const event of responsesTurnEvents(frame.model, 'resp_x')) connection.send(event);
      });
    }
  });

  test('an upstream error event ends the turn with its type', async () => {
    upstream.setHandler((connection) => {
      connection.send(JSON.stringify({ type: 'error', status: 429, error: { type: 'usage_limit_reached', message: 'slow down' } }));
    });
    const client = await openClient(proxy.url);
    const requestId = String(client.headers['x-tokenpak-request-id']);
    client.socket.send(createFrame('gpt-5-codex'));
    await client.waitForMessages(1);
    const rows = await waitForLedgerRows(proxy.url, [`${requestId}.1`]);
    expect(rows.get(`${requestId}.1`)).toMatchObject({ errorType: 'usage_limit_reached', inputTokens: null });
    client.socket.close();
  });
});

describe('WebSocket turns with permessage-deflate', () => {
  let upstream: WebSocketUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startWebSocketUpstream({ perMessageDeflate: true });
    proxy = await startProxy({ providers: { 'tokenpak-openai-codex': { upstream: `${upstream.url}/backend-api/codex` } } });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });

  test('compressed frames pass untouched and the turn is read from a decoded copy', async () => {
    const client = await openClient(proxy.url, { perMessageDeflate: true });
    expect(String(client.headers['sec-websocket-extensions'])).toContain('permessage-deflate');
    const requestId = String(client.headers['x-tokenpak-request-id']);
    const connection = await upstream.waitForConnections(1);
    const create = createFrame('gpt-5-codex');
    client.socket.send(create);
    await client.waitForMessages(3);
    expect(connection.received.map((message) => message.data.toString('utf8'))).toEqual([create]);
    expect(client.received.map((message) => message.data.toString('hex'))).toEqual(connection.sent.map((message) => message.data.toString('hex')));
    const rows = await waitForLedgerRows(proxy.url, [`${requestId}.1`]);
    expect(rows.get(`${requestId}.1`)).toMatchObject({ model: 'gpt-5-codex', errorType: null, inputTokens: 100, cacheReadTokens: 20, outputTokens: 7 });
    client.socket.close();
  });
});
