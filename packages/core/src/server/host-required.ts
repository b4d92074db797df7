import type { IncomingMessage, RequestListener } from 'node:http';
import { apiShapeFor, writeApiError } from '../http/api-errors';
import { splitPathAndQuery, toWebHeaders } from '../http/node-headers';

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without `Host` is answered 400. Node (and
 * `@hono/node-server`, which needs a host to build its URL) would answer it with an empty
 * body; the server turns Node's check off (`requireHostHeader: false`) and answers here in
 * the caller's API shape. Null when the request is fine.
 */
export function missingHostMessage(incoming: IncomingMessage): string | null {
  if (incoming.headers.host !== undefined) return null;
  if (incoming.httpVersionMajor === 1 && incoming.httpVersionMinor === 0) return null;
  return 'the request has no Host header (HTTP/1.1 requires one)';
}

/** Wraps the server's request listener: a request without `Host` never reaches it. */
export function hostRequired(listener: RequestListener): RequestListener {
  return (incoming, outgoing) => {
    const message = missingHostMessage(incoming);
    if (!message) return listener(incoming, outgoing);
    const [path] = splitPathAndQuery(incoming.url ?? '/');
    const shape = apiShapeFor(path, toWebHeaders(incoming.headers));
    incoming.resume();
    writeApiError(outgoing, shape, { code: 'host_missing', status: 400, message, type: 'invalid_request_error' }, { connection: 'close' });
  };
}
