import type { MiddlewareHandler } from 'hono';
import { HeaderName } from '../http/header-names';
import { newRequestId } from '../http/request-id';
import type { TokenPakEnv } from './hono-env';

/** Marker header @hono/node-server puts on `RESPONSE_ALREADY_SENT`. */
const ALREADY_SENT = 'x-hono-already-sent';

/**
 * Gives every request an id. Data-plane handlers write it on the raw Node response
 * themselves; for responses Hono builds, it is added here.
 */
export function requestContext(): MiddlewareHandler<TokenPakEnv> {
  return async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    await next();
    if (!c.res.headers.has(ALREADY_SENT)) c.res.headers.set(HeaderName.tokenpakRequestId, requestId);
  };
}
