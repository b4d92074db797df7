import http from 'node:http';
import type { RequestShape } from './scenarios';

/**
 * One request per (target, request shape) before any load: a bench that measures 404s
 * or a route that skipped body inspection would print plausible numbers about nothing.
 */

export interface SingleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function sendOnce(baseUrl: string, request: RequestShape): Promise<SingleResponse> {
  const url = new URL(request.path, baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: request.method,
        headers: { ...request.headers, 'content-length': request.body.length },
        agent: false,
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 10 s')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** Problems with a response, empty when it is what `request.expect` says it should be. */
export function answerProblems(request: RequestShape, response: SingleResponse): string[] {
  const problems: string[] = [];
  if (response.status !== 200) problems.push(`status ${response.status}: ${response.body.slice(0, 300)}`);
  const contentType = String(response.headers['content-type'] ?? '');
  if (request.expect === 'sse-stream') {
    if (!contentType.includes('text/event-stream')) problems.push(`content-type ${contentType || '(none)'}, expected text/event-stream`);
    if (!response.body.includes('event: message_stop')) problems.push('the SSE stream did not end with message_stop');
  } else {
    if (!contentType.includes('application/json')) problems.push(`content-type ${contentType || '(none)'}, expected application/json`);
    if (!response.body.includes('"type":"message"')) problems.push('the body is not a Messages response');
  }
  return problems;
}

/** `x-tokenpak-route` fields (`k=v; k=v`), or null when the header is missing. */
export function routeFields(response: SingleResponse): Record<string, string> | null {
  const value = response.headers['x-tokenpak-route'];
  if (typeof value !== 'string') return null;
  const fields: Record<string, string> = {};
  for (const part of value.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key) fields[key] = rest.join('=');
  }
  return fields;
}
