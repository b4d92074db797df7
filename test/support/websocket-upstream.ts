import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/** One message as the mock saw it: payload bytes exactly as received or sent, and whether it was binary. */
export interface WsMessage {
  data: Buffer;
  isBinary: boolean;
}

/** One accepted connection: what the mock received and sent on it. */
export interface WsConnection {
  url: string;
  headers: IncomingHttpHeaders;
  socket: WebSocket;
  received: WsMessage[];
  sent: WsMessage[];
  /** Sends a text frame and records it. */
  send(text: string): void;
  /** The close code and reason the mock got (once closed). */
  closed: Promise<{ code: number; reason: string }>;
}

export type WsTurnHandler = (connection: WsConnection, message: WsMessage) => void;

export interface WebSocketUpstream {
  url: string;
  connections: WsConnection[];
  setHandler(handler: WsTurnHandler): void;
  waitForConnections(count: number, timeoutMs?: number): Promise<WsConnection>;
  close(): Promise<void>;
}

/** `response.completed` usage as the Responses API reports it: `input_tokens` includes the cached ones. */
export const TURN_USAGE = {
  input_tokens: 120,
  input_tokens_details: { cached_tokens: 20 },
  output_tokens: 7,
  output_tokens_details: { reasoning_tokens: 2 },
  total_tokens: 127,
};

/** The server events of one Responses turn, as the SSE stream's `data:` payloads (Responses WebSocket mode). */
export function responsesTurnEvents(model: string, id: string): string[] {
  return [
    JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id, object: 'response', model, status: 'in_progress', usage: null } }),
    JSON.stringify({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello ✓' }),
    JSON.stringify({ type: 'response.completed', sequence_number: 2, response: { id, object: 'response', model, status: 'completed', usage: TURN_USAGE } }),
  ];
}

/** Answers every `response.create` with a whole turn. */
export const answerTurns: WsTurnHandler = (connection, message) => {
  if (message.isBinary) return;
  const frame = JSON.parse(message.data.toString('utf8')) as { type?: string; model?: string };
  if (frame.type !== 'response.create') return;
  for (const event of responsesTurnEvents(frame.model ?? 'gpt-test', `resp_${connection.received.length}`)) connection.send(event);
};

/**
 * A loopback WebSocket server that speaks the Responses WebSocket mode (one JSON event per
 * text frame) and records every message both ways, byte for byte.
 */
export async function startWebSocketUpstream(options: { perMessageDeflate?: boolean } = {}, handler: WsTurnHandler = answerTurns): Promise<WebSocketUpstream> {
  let current = handler;
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: options.perMessageDeflate ? { threshold: 0 } : false });
  const connections: WsConnection[] = [];
  wss.on('connection', (socket, request) => {
    const connection: WsConnection = {
      url: request.url ?? '',
      headers: request.headers,
      socket,
      received: [],
      sent: [],
      send(text) {
        const data = Buffer.from(text, 'utf8');
        connection.sent.push({ data, isBinary: false });
        socket.send(data, { binary: false });
      },
      closed: new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    };
    connections.push(connection);
    socket.on('message', (data: Buffer, isBinary) => {
      const message = { data: Buffer.from(data), isBinary };
      connection.received.push(message);
      current(connection, message);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    setHandler(next) {
      current = next;
    },
    async waitForConnections(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (connections.length < count) {
        if (Date.now() > deadline) throw new Error(`the WebSocket upstream got ${connections.length} of ${count} connections`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return connections[count - 1]!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
