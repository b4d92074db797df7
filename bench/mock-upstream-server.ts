import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './bench-child';
import { MESSAGE_RESPONSE, SSE_EVENTS } from './mock-answers';
import { STREAM_FLAG_JSON } from './request-bodies';

/**
 * Child process: a stand-in for the Anthropic API on loopback. It answers
 * `POST /v1/messages` at once with a fixed small Messages response, or, when the body
 * asks for `"stream":true`, with ~20 SSE events written back to back. Everything is
 * precomputed so the mock costs the same, and as little as possible, for every proxy.
 */

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
