import type { ServerResponse } from 'node:http';
import { ANTHROPIC_ERROR_TYPES } from '../http/anthropic-error-types';
import { HeaderName } from '../http/header-names';
import type { RouteDecision } from '../decision/route-decision';
import type { LedgerEntry } from './ledger-row';
import type { Measurement } from './request-meter';

export interface RequestFacts {
  requestId: string;
  method: string;
  /** Path without the query. */
  path: string;
  /** The request's `content-length`, for backends that read the body themselves. */
  declaredLength: number | null;
}

/** `scheme://host:port` of the upstream URL (the decision's URLs are absolute); never its path or query. */
export function upstreamOrigin(decision: RouteDecision): string | null {
  const url = decision.upstreamUrl;
  if (decision.via !== 'http' || !url) return null;
  const hostStart = url.indexOf('//');
  if (hostStart === -1) return null;
  const pathStart = url.indexOf('/', hostStart + 2);
  const end = pathStart === -1 ? url.length : pathStart;
  const query = url.indexOf('?', hostStart + 2);
  return url.slice(0, query !== -1 && query < end ? query : end).toLowerCase();
}

function errorTypeOf(status: number | null, completed: boolean, measurement: Measurement): string | null {
  if (measurement.noted) return measurement.noted;
  if (measurement.response.errorType) return measurement.response.errorType;
  // A failure the body does not name: the type Anthropic gives its status, `api_error` for other 5xx.
  if (status !== null && status >= 400) return ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : `http_${status}`);
  if (status === null || !completed) return 'client_closed';
  return null;
}

function contentLength(value: unknown): number | null {
  const length = Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** The ledger entry for a request whose response just closed: the decision, the outcome, what was measured. */
export function ledgerEntryFor(decision: RouteDecision, request: RequestFacts, outgoing: ServerResponse, measurement: Measurement): LedgerEntry {
  const status = outgoing.headersSent ? outgoing.statusCode : null;
  return {
    requestId: request.requestId,
    startedAt: measurement.startedAt,
    method: request.method,
    path: request.path,
    platform: decision.platform,
    sessionId: decision.sessionId,
    provider: decision.provider,
    providerSource: decision.providerSource,
    routeClass: decision.routeClass,
    backend: decision.backend,
    via: decision.via,
    credentialSource: decision.credentialSource,
    upstream: upstreamOrigin(decision),
    // Redacted when the batch is written (LedgerRecorder), off the response's close.
    reasons: measurement.fallback || measurement.outcome ? withNotes(decision.reasons, measurement.fallback, measurement.outcome) : decision.reasons,
    model: measurement.requestModel ?? measurement.response.model,
    status,
    errorType: errorTypeOf(status, outgoing.writableFinished, measurement),
    ttfbMs: measurement.ttfbMs,
    totalMs: measurement.totalMs,
    bytesIn: measurement.bytesIn ?? request.declaredLength,
    bytesOut: measurement.bytesOut ?? contentLength(outgoing.getHeader(HeaderName.contentLength)),
    usage: measurement.response.usage,
  };
}

/** The decision's reasons plus what only the answer knew (a fallback taken, how a companion turn ended). */
function withNotes(reasons: readonly string[], ...notes: ReadonlyArray<string | null | undefined>): readonly string[] {
  return [...reasons, ...notes.filter((note): note is string => !!note)];
}
