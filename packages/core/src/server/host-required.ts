import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { apiErrorBody, apiShapeFor } from '../http/api-errors';
import { HeaderName } from '../http/header-names';
import type { TokenPakEnv } from './hono-env';

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without `Host` is answered 400. Node would answer it
 * itself with an empty body; the server turns that check off (`requireHostHeader: false`) so
 * the answer is in the caller's API shape. Null when the request is fine.
 */
export function missingHostMessage(incoming: IncomingMessage): string | null {
  if (incoming.headers.host !== undefined) return null;
  if (incoming.httpVersionMajor === 1 && incoming.httpVersionMinor === 0) return null;
  return 'the request has no Host header (HTTP/1.1 requires one)';
}

/** The check as Hono middleware, before the guard. */
export function hostRequired(): MiddlewareHandler<TokenPakEnv> {
  return async (c, next) => {
    const message = missingHostMessage(c.env.incoming);
    if (!message) return next();
    const headers = c.env.incoming.headers;
    return c.body(apiErrorBody(apiShapeFor(c.req.path, { has: (name) => headers[name] !== undefined }), { status: 400, message }), 400, {
      [HeaderName.contentType]: 'application/json',
      [HeaderName.tokenpakError]: '1',
      [HeaderName.connection]: 'close',
    });
  };
}
