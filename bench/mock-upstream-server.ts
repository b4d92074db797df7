import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './bench-child';
import { BENCH_MODEL, STREAM_FLAG_JSON } from './request-bodies';

/**
 * Child process: a stand-in for the Anthropic API on loopback. It answers
 * `POST /v1/messages` at once with a fixed small Messages response, or, when the body
 * asks for `"stream":true`, with ~20 SSE events written back to back. Everything is
 * precomputed so the mock costs the same, and as little as possible, for every proxy.
 */

const MESSAGE_RESPONSE = Buffer.from(
  JSON.stringify({
    id: 'msg_bench_0001',
    type: 'message',
    role: 'assistant',
    model: BENCH_MODEL,
    content: [{ type: 'text', text: 'Hello from the TokenPak bench mock upstream.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 512, output_tokens: 12 },
  }),
);

function sseEvent(type: string, data: Record<string, unknown>): Buffer {
  return Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

const DELTA_WORDS = [
  'Hello',
  ' from',
  ' the',
  ' TokenPak',
  ' bench',
  ' mock',
  ' upstream',
  ':',
  ' this',
  ' is',
  ' a',
  ' streamed',
  ' answer',
  ' of',
  ' sixteen',
  ' deltas.',
];

/** 21 events, in the order the real API sends them. */
const SSE_EVENTS: readonly Buffer[] = [
  sseEvent('message_start', {
    message: {
      id: 'msg_bench_0002',
      type: 'message',
      role: 'assistant',
      model: BENCH_MODEL,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 512, output_tokens: 1 },
    },
  }),
  sseEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  sseEvent('ping', {}),
  ...DELTA_WORDS.map((text) => sseEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
  sseEvent('content_block_stop', { index: 0 }),
  sseEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: DELTA_WORDS.length } }),
  sseEvent('message_stop', {}),
];

function answer(body: Buffer, response: ServerResponse): void {
  if (!body.includes(STREAM_FLAG_JSON)) {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': MESSAGE_RESPONSE.length, 'request-id': 'req_bench' });
    response.end(MESSAGE_RESPONSE);
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_bench' });
  // One write per event, no delay: the proxy sees many small chunks, as with the real API.
  for (const event of SSE_EVENTS) response.write(event);
  response.end();
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    // Anything but the Messages endpoint is a routing mistake the bench must see as non-2xx.
    if (request.method !== 'POST' || !request.url?.startsWith('/v1/messages')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `mock upstream: no ${request.method} ${request.url}` } }));
      return;
    }
    answer(Buffer.concat(chunks), response);
  });
}

const server = http.createServer(handle);
// Proxies keep pooled connections idle while the other proxy is measured; a short
// server keep-alive would close them under the proxy's feet and show up as 502s.
server.keepAliveTimeout = 10 * 60_000;
server.headersTimeout = 10 * 60_000 + 1_000;
listenOnLoopback(server, 'mock upstream');
