import type { Context } from 'hono';
import { apiErrorBody, apiShapeFor, type ApiShape, type ProxyError } from '../http/api-errors';
import { HeaderName } from '../http/header-names';
import type { TokenPakEnv } from './hono-env';

/**
 * The error responder for Hono routes (control endpoints, the guard, unknown paths, internal
 * errors): the same body as every other TokenPak-made error (`http/api-errors.ts`), in the
 * caller's shape (derived from the path and headers unless given), with `x-tokenpak-error: 1`.
 */
export function apiErrorResponse(c: Context<TokenPakEnv>, error: ProxyError, shape: ApiShape = apiShapeFor(c.req.path, c.req.raw.headers)): Response {
  return c.body(apiErrorBody(shape, error), error.status as 400, { [HeaderName.contentType]: 'application/json', [HeaderName.tokenpakError]: '1' });
}
