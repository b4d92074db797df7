import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiShapeFor, writeApiError } from '../http/api-errors';
import { HeaderName } from '../http/header-names';
import { splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { newRequestId } from '../http/request-id';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { ProxiedRequestHandler } from './data-plane';
import type { RequestGuard } from './loopback-guard';

/** The Hono app's own paths: liveness, control, ledger and dashboard. Never proxied. */
const CONTROL_PATH_PREFIX = '/tokenpak';

/**
 * Serves a request on the data plane straight from the `node:http` listener, or returns
 * false to let the Hono app serve it. Proxied requests take this entry because they are
 * written on the raw Node response anyway (ARCHITECTURE §2.5): going through Hono only
 * built a context, a lazy `Request` and a middleware chain the data plane never used —
 * about 5% of the proxy's CPU per request under load. Admission is the same as the
 * Hono app's (`request-admission.ts`): a request id, then the Host/Origin/auth guard.
 */
export type DirectDataPlane = (incoming: IncomingMessage, outgoing: ServerResponse, onClose?: () => void) => boolean;

export interface DirectDataPlaneDeps {
  guard: RequestGuard;
  providers: ProviderRegistry;
  serve: ProxiedRequestHandler;
}

export function directDataPlane({ guard, providers, serve }: DirectDataPlaneDeps): DirectDataPlane {
  return (incoming, outgoing, onClose) => {
    if (!isProxiedTarget(incoming.url ?? '', providers)) return false;
    const requestId = newRequestId();
    const rejection = guard(incoming.headers);
    if (rejection) {
      incoming.resume();
      const [path] = splitPathAndQuery(incoming.url ?? '/');
      const shape = apiShapeFor(path, toWebHeaders(incoming.headers));
      writeApiError(outgoing, shape, rejection, { [HeaderName.tokenpakRequestId]: requestId });
      outgoing.once('close', () => onClose?.());
      return true;
    }
    serve(incoming, outgoing, requestId, onClose);
    return true;
  };
}

/**
 * An origin-form target the data plane serves: `/v1/…`, or a path a provider claims
 * (`/backend-api/…` for Codex) outside TokenPak's own `/tokenpak` and `/`. Anything else
 * (absolute-form targets included) is left to the Hono app, whose routes say the same.
 */
function isProxiedTarget(url: string, providers: ProviderRegistry): boolean {
  if (url.startsWith('/v1/')) return true;
  if (url.charCodeAt(0) !== 0x2f /* / */ || url.startsWith(CONTROL_PATH_PREFIX)) return false;
  const [path] = splitPathAndQuery(url);
  return path !== '/' && providers.claimsPath(path);
}
