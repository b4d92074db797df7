import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxy, type RunningProxy } from '../support/proxy-harness';
import { within } from '../support/stream-helpers';

/** A Codex-like WebSocket upstream that answers each frame with one naming itself. */
async function startWsUpstream(name: string): Promise<{ url: string; connections: number; close(): Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const state = { connections: 0 };
  wss.on('connection', (socket) => {
    state.connections++;
    socket.on('message', () => socket.send(JSON.stringify({ type: 'response.completed', from: name })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backend-api/codex`,
    get connections() {
      return state.connections;
    },
    async close() {
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const CODEX_HEADERS = {
  originator: 'codex_tui',
  authorization: 'Bearer eyJcaller.chatgpt.token',
  'chatgpt-account-id': 'acct-ws',
  'openai-beta': 'responses_websockets=2026-02-04',
  'x-tokenpak-provider': 'tokenpak-openai-codex',
};

async function openSocket(proxy: RunningProxy): Promise<{ client: WebSocket; ask(): Promise<string> }> {
  const client = new WebSocket(`${proxy.url.replace('http', 'ws')}/v1/responses`, { headers: CODEX_HEADERS });
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  return {
    client,
    ask: () =>
      within(
        new Promise<string>((resolve) => {
          client.once('message', (data) => resolve((JSON.parse(data.toString()) as { from: string }).from));
          client.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex' }));
        }),
        10_000,
        'a frame back',
      ),
  };
}

/** ARCHITECTURE §7 + §2.7: an open WebSocket stays on the generation it was upgraded in; that generation lives until it closes. */
describe('reload with a WebSocket open (in-process)', () => {
  test('the open socket keeps relaying to the old upstream, a new one goes to the new upstream, the old generation is released when the socket closes', async () => {
    const before = await startWsUpstream('before');
    const after = await startWsUpstream('after');
    const proxy = await startProxy({ providers: { 'tokenpak-openai-codex': { upstream: before.url } } });
    const sockets: WebSocket[] = [];
    try {
      const old = await openSocket(proxy);
      sockets.push(old.client);
      expect(await old.ask()).toBe('before');
      const oldBridge = proxy.tokenpak.bridge;

      const config = JSON.parse(readFileSync(proxy.configPath, 'utf8')) as Record<string, unknown>;
      writeFileSync(proxy.configPath, JSON.stringify({ ...config, providers: { 'tokenpak-openai-codex': { upstream: after.url } } }));
      expect(await within(proxy.tokenpak.reload(), 15_000, 'the reload')).toMatchObject({ ok: true, generation: 2 });

      expect(await old.ask()).toBe('before');
      const fresh = await openSocket(proxy);
      sockets.push(fresh.client);
      expect(await fresh.ask()).toBe('after');
      expect(after.connections).toBe(1);
      // The old generation still serves the open socket: not disposed, its plugins still registered.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(oldBridge.signals().length).toBeGreaterThan(0);

      old.client.close();
      await within(
        (async () => {
          while (oldBridge.signals().length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
        10_000,
        'the old generation to be released after its socket closed',
      );
      expect(await fresh.ask()).toBe('after');
    } finally {
      sockets.forEach((socket) => socket.terminate());
      await proxy.stop();
      await before.close();
      await after.close();
    }
  });
});
