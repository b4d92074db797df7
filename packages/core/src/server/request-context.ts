import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import { HeaderName } from '../http/header-names';
import { newRequestId } from '../http/request-id';
import type { TokenPakEnv } from './hono-env';

/**
 * Gives every request an id. Data-plane handlers write it on the raw Node response
 * themselves; for responses Hono builds, it is added here.
 */
export function requestContext(): MiddlewareHandler<TokenPakEnv> {
  return async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    await next();
    // The data plane wrote its own response (id included) on the raw Node response.
    const response = c.res;
    if (response !== RESPONSE_ALREADY_SENT) response.headers.set(HeaderName.tokenpakRequestId, requestId);
  };
}
