import { ANTHROPIC_ERROR_TYPES } from '../http/anthropic-error-types';
import type { RouteDecision } from '../decision/route-decision';
import { upstreamOrigin } from './ledger-entry';
import type { LedgerEntry } from './ledger-row';
import type { WebSocketTurn } from './websocket-turn-meter';

/** The ledger's `method` for a WebSocket turn (the upgrade itself was a `GET`). */
export const WEBSOCKET_TURN_METHOD = 'WS';

/**
 * The columns a row takes from its route decision. (`ledgerEntryFor`, on every request's hot
 * path, spells them out in one literal instead: a spread measured ~3x slower on Node 20.)
 */
function decisionColumns(
  decision: RouteDecision,
): Pick<
  LedgerEntry,
  'platform' | 'sessionId' | 'provider' | 'providerSource' | 'routeClass' | 'backend' | 'via' | 'credentialSource' | 'upstream' | 'reasons'
> {
  return {
    platform: decision.platform,
    sessionId: decision.sessionId,
    provider: decision.provider,
    providerSource: decision.providerSource,
    routeClass: decision.routeClass,
    backend: decision.backend,
    via: decision.via,
    credentialSource: decision.credentialSource,
    upstream: upstreamOrigin(decision),
    reasons: decision.reasons,
  };
}

/**
 * The ledger entry for one WebSocket turn: the socket's decision, `status` 101 (what the
 * client got on the wire), request id `<socket's request id>.<turn number>`.
 */
export function webSocketTurnEntry(decision: RouteDecision, socket: { requestId: string; path: string }, turn: WebSocketTurn): LedgerEntry {
  return {
    requestId: `${socket.requestId}.${turn.index}`,
    startedAt: turn.startedAt,
    method: WEBSOCKET_TURN_METHOD,
    path: socket.path,
    ...decisionColumns(decision),
    model: turn.model,
    status: 101,
    errorType: turn.errorType,
    ttfbMs: turn.ttfbMs,
    totalMs: turn.totalMs,
    bytesIn: turn.bytesIn,
    bytesOut: turn.bytesOut,
    usage: turn.usage,
  };
}

/** A WebSocket upgrade that did not become a tunnel (the upstream or TokenPak refused it): one row, like any request. */
export function upgradeRefusalEntry(
  decision: RouteDecision,
  request: { requestId: string; method: string; path: string; startedAt: number },
  status: number | null,
): LedgerEntry {
  return {
    requestId: request.requestId,
    startedAt: request.startedAt,
    method: request.method,
    path: request.path,
    ...decisionColumns(decision),
    model: null,
    status,
    errorType: status === null ? 'client_closed' : (ANTHROPIC_ERROR_TYPES[status] ?? `http_${status}`),
    ttfbMs: null,
    totalMs: Date.now() - request.startedAt,
    bytesIn: null,
    bytesOut: null,
    usage: null,
  };
}
