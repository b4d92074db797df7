import { redactHeaderValue } from '../log/redact';
import { bodyInspectionSkip, declaredLength } from './body-inspection';
import { formatRouteHeader } from './route-header';
import type { RouteResolver } from './route-resolver';
import type { RouteDecision, RouteRequest } from '../decision/route-decision';

export interface RouteQuery {
  method?: string;
  /** Path, optionally with a query string. Default `/v1/messages`. */
  path?: string;
  headers?: Readonly<Record<string, string>>;
  /** A request body to offer body-inspecting signals (as the proxy would). */
  body?: unknown;
}

export interface RouteExplanation {
  request: { method: string; path: string; headers: Record<string, string> };
  decision: Omit<RouteDecision, 'reasons' | 'controlHeaders'>;
  /** Exactly the `x-tokenpak-route` header the proxy would send. */
  routeHeader: string;
  /** The rules that fired, in order. */
  reasons: readonly string[];
}

/**
 * Dry run: the decision the proxy would make for these headers and path, and why,
 * without sending anything. Credentials in the echoed headers are redacted.
 */
export function explainRoute(resolver: RouteResolver, query: RouteQuery, maxInspectBytes: number): RouteExplanation {
  const method = (query.method ?? 'POST').toUpperCase();
  const fullPath = query.path ?? '/v1/messages';
  const mark = fullPath.indexOf('?');
  const path = mark === -1 ? fullPath : fullPath.slice(0, mark);
  const search = mark === -1 ? '' : fullPath.slice(mark);
  const headers = new Headers();
  for (const [name, value] of Object.entries(query.headers ?? {})) headers.append(name, String(value));
  const request = { method, path, search, headers };
  const inspection = resolver.inspect(request);
  // controlHeaders is the registry's set (the same for every request), not part of this request's decision.
  const { reasons, controlHeaders: _controlHeaders, ...decision } = resolver.decide(request, inspection, offeredBody(request, query.body, maxInspectBytes));
  const shownHeaders: Record<string, string> = {};
  headers.forEach((value, name) => {
    shownHeaders[name] = redactHeaderValue(name, value);
  });
  return {
    request: { method, path: fullPath, headers: shownHeaders },
    decision,
    routeHeader: formatRouteHeader(decision),
    reasons,
  };
}

/** The body as the proxy would offer it to signals: same skip rules (size, encoding, method). */
function offeredBody(request: RouteRequest, body: unknown, limit: number): { json: unknown } | { skipped: string } | undefined {
  if (body === undefined) return undefined;
  const size = declaredLength(request.headers) ?? Buffer.byteLength(JSON.stringify(body));
  const skipped = bodyInspectionSkip(request.method, request.headers, size, limit);
  return skipped ? { skipped } : { json: body };
}
