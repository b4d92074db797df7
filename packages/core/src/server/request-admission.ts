import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import { HeaderName } from '../http/header-names';
import { toWebHeaders } from '../http/node-headers';
import { newRequestId } from '../http/request-id';
import { apiShapeFor } from '../http/api-errors';
import { apiErrorResponse } from './error-response';
import type { TokenPakEnv } from './hono-env';
import type { RequestGuard } from './loopback-guard';

/**
 * Admission for the routes Hono serves (control endpoints, the dashboard, unknown paths, and
 * any proxied request that did not take the direct entry): one middleware gives the request
 * its id and applies the Host/Origin/auth guard (ARCHITECTURE §6), then stamps the id on the
 * response Hono built. The data plane's direct entry (`direct-data-plane.ts`) does the same
 * two steps without a Hono context.
 */
export function requestAdmission(guard: RequestGuard): MiddlewareHandler<TokenPakEnv> {
  return async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    const headers = c.env.incoming.headers;
    const rejection = guard(headers);
    if (rejection) {
      const response = apiErrorResponse(c, rejection, apiShapeFor(c.req.path, toWebHeaders(headers)));
      response.headers.set(HeaderName.tokenpakRequestId, requestId);
      return response;
    }
    await next();
    // The data plane wrote its own response (id included) on the raw Node response.
    const response = c.res;
    if (response !== RESPONSE_ALREADY_SENT) response.headers.set(HeaderName.tokenpakRequestId, requestId);
  };
}
