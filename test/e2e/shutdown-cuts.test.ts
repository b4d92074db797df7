import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { anthropicSse, cannedResponse } from '../support/canned-responses';
import { startCliProxy } from '../support/cli-proxy';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt } from '../support/proxy-harness';
import { createLatch, holdingSseHandler, streamRequest, within, type StreamedResponse } from '../support/stream-helpers';
import { responsesTurnEvents, startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

const CODEX_HEADERS = { originator: 'codex_tui', authorization: 'Bearer eyJcaller.chatgpt.token', 'openai-beta': 'responses_websockets=2026-02-04' };
const SSE_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-shutdown' };
const SSE_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

/** A WebSocket client that completes the handshake by hand and then never reads, answers or closes: the worst peer. */
function silentWebSocketClient(port: number): Promise<{ socket: net.Socket; received: () => Buffer }> {
  return within(
    new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let received = Buffer.alloc(0);
      let open = false;
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (!open && received.includes('\r\n\r\n')) {
          open = true;
          if (!received.toString('latin1').startsWith('HTTP/1.1 101')) reject(new Error(received.toString('latin1')));
          else resolve({ socket, received: () => received });
        }
      });
      socket.on('error', () => undefined);
      const headers = Object.entries(CODEX_HEADERS)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(
        `GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n${headers}\r\n`,
      );
    }),
    10_000,
    'the silent client handshake',
  );
}

/** A close frame with `code` from the server (unmasked) somewhere after the handshake. */
const hasCloseFrame = (bytes: Buffer, code: number): boolean => {
  const head = bytes.indexOf('\r\n\r\n') + 4;
  const frame = Buffer.from([0x88]);
  for (let at = bytes.indexOf(frame, head); at !== -1; at = bytes.indexOf(frame, at + 1)) {
    if ((bytes[at + 1]! & 0x7f) >= 2 && bytes.readUInt16BE(at + 2) === code) return true;
  }
  return false;
};

describe('shutdown with open WebSockets and cut requests', () => {
  let wsUpstream: WebSocketUpstream;
  let upstream: MockUpstream;

  beforeAll(async () => {
    wsUpstream = await startWebSocketUpstream({}, (connection, message) => {
      const frame = JSON.parse(message.data.toString('utf8')) as { model: string };
      connection.send(responsesTurnEvents(frame.model, 'resp_held')[0]!); // the turn never ends
    });
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    await wsUpstream.close();
    await upstream.close();
  });

  test('SIGTERM on `tokenpak start` with open WebSockets whose clients never close: close 1001 both ways, exit 0 within shutdownTimeoutMs + 1 s', async () => {
    const shutdownTimeoutMs = 3000;
    const proxy = await startCliProxy({
      providers: { 'tokenpak-openai-codex': { upstream: `${wsUpstream.url}/backend-api/codex` } },
      server: { shutdownTimeoutMs },
    });
    const port = Number(new URL(proxy.url).port);
    try {
      const before = wsUpstream.connections.length;
      // A well-behaved client that simply never closes, with a turn in progress...
      const client = new WebSocket(`${proxy.url.replace('http', 'ws')}/v1/responses`, { headers: CODEX_HEADERS, perMessageDeflate: false });
      client.on('error', () => undefined);
      const clientClosed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
      await within(new Promise<void>((resolve) => client.once('open', () => resolve())), 10_000, 'client open');
      client.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex' }));
      await within(new Promise<void>((resolve) => client.once('message', () => resolve())), 10_000, 'first event');
      // ...and one that never reads, answers or closes anything.
      const silent = await silentWebSocketClient(port);
      await wsUpstream.waitForConnections(before + 2);

      const stoppedAt = Date.now();
      const exitCode = await within(proxy.cli.stop('SIGTERM'), shutdownTimeoutMs + 1000, 'the process to exit after SIGTERM');
      const took = Date.now() - stoppedAt;
      expect(exitCode).toBe(0);
      expect(took).toBeLessThanOrEqual(shutdownTimeoutMs + 1000);
      expect(await within(clientClosed, 5000, 'the client close')).toBe(1001);
      expect(hasCloseFrame(silent.received(), 1001)).toBe(true);
      const upstreamCodes = await within(Promise.all(wsUpstream.connections.slice(before).map((connection) => connection.closed)), 5000, 'upstream closes');
      expect(upstreamCodes.map((closed) => closed.code)).toEqual([1001, 1001]);
      silent.socket.destroy();
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  /** Reads the ledger file after shutdown (the HTTP endpoints are gone by then). */
  function ledgerAfterShutdown(dir: string): Map<string, { requestId: string; method: string; errorType: string | null }> {
    const db = new Database(path.join(dir, 'state', 'ledger.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT request_id AS requestId, method, error_type AS errorType FROM requests').all() as {
        requestId: string;
        method: string;
        errorType: string | null;
      }[];
      return new Map(rows.map((row) => [row.requestId, row]));
    } finally {
      db.close();
    }
  }

  test('shutdown cutting HTTP streams (shutdownTimeoutMs 1000, three held streams): every request has a ledger row', async () => {
    const proxy = await startProxy({ providers: upstreamsAt(upstream.url), server: { shutdownTimeoutMs: 1000 } });
    const streams: StreamedResponse[] = [];
    const latch = createLatch();
    try {
      const ids: string[] = [];
      // Finished requests first, then three streams held open past the shutdown timeout.
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${proxy.url}/v1/messages`, {
          method: 'POST',
          headers: SSE_HEADERS,
          body: SSE_BODY.replace('"stream":true', '"stream":false'),
        });
        await response.arrayBuffer();
        ids.push(String(response.headers.get('x-tokenpak-request-id')));
      }
      const events = anthropicSse();
      upstream.setHandler(holdingSseHandler(events, latch, 1));
      for (let i = 0; i < 3; i++) {
        const stream = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: SSE_HEADERS, body: SSE_BODY });
        streams.push(stream);
        await stream.waitFor((received) => received.includes(events[0]!));
        ids.push(String(stream.headers['x-tokenpak-request-id']));
      }
      await within(proxy.tokenpak.shutdown(), 10_000, 'shutdown');
      const rows = ledgerAfterShutdown(proxy.dir);
      expect(ids.filter((id) => !rows.has(id))).toEqual([]);
      for (const id of ids.slice(5)) expect(rows.get(id)!.errorType).not.toBeNull();
    } finally {
      latch.open();
      streams.forEach((stream) => stream.destroy());
      upstream.setHandler(cannedResponse);
      await proxy.stop();
    }
  }, 60_000);

  test('shutdown cutting a WebSocket turn: the turn has a row with error kind server_shutdown', async () => {
    const proxy = await startProxy({
      providers: { 'tokenpak-openai-codex': { upstream: `${wsUpstream.url}/backend-api/codex` } },
      server: { shutdownTimeoutMs: 1000 },
    });
    try {
      const client = new WebSocket(`${proxy.url.replace('http', 'ws')}/v1/responses`, { headers: CODEX_HEADERS, perMessageDeflate: false });
      client.on('error', () => undefined);
      const socketId = await within(
        new Promise<string>((resolve) => client.once('upgrade', (response) => resolve(String(response.headers['x-tokenpak-request-id'])))),
        10_000,
        '101',
      );
      await within(new Promise<void>((resolve) => (client.readyState === WebSocket.OPEN ? resolve() : client.once('open', () => resolve()))), 10_000, 'open');
      client.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex' }));
      await within(new Promise<void>((resolve) => client.once('message', () => resolve())), 10_000, 'first event');
      await within(proxy.tokenpak.shutdown(), 10_000, 'shutdown');
      expect(ledgerAfterShutdown(proxy.dir).get(`${socketId}.1`)).toMatchObject({ method: 'WS', errorType: 'server_shutdown' });
    } finally {
      await proxy.stop();
    }
  }, 60_000);
});
