import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpgradeForwarder } from '../backends/upgrade-forwarder';
import type { WebSocketTunnel } from '../backends/websocket-tunnel';
import { apiShapeFor, endSocketWithApiError, proxyError, type ProxyError } from '../http/api-errors';
import { HeaderName } from '../http/header-names';
import { splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { newRequestId } from '../http/request-id';
import type { LedgerRecorder } from '../ledger/ledger-recorder';
import { upgradeRefusalEntry, webSocketTurnEntry } from '../ledger/websocket-turn-entry';
import { WebSocketTurnMeter, type WebSocketTurn } from '../ledger/websocket-turn-meter';
import { errorMessage } from '../log/error-message';
import type { Logger } from '../log/logger';
import type { ProviderRegistry } from '../providers/provider-registry';
import { formatRouteHeader } from '../routing/route-header';
import type { RouteResolver } from '../routing/route-resolver';
import type { RouteDecision, RouteRequest } from '../decision/route-decision';
import { describeHeaders } from './header-dump';
import { missingHostMessage } from './host-required';
import type { GuardRejection } from './loopback-guard';
import type { OpenWork } from './open-work';
import type { ServerStats } from './server-stats';

export interface UpgradeRouteDeps {
  resolver: RouteResolver;
  upgrades: UpgradeForwarder;
  providers: ProviderRegistry;
  stats: ServerStats;
  logger: Logger;
  ledger: LedgerRecorder;
  openWork: OpenWork;
  dumpHeaders: boolean;
  guard: (headers: IncomingHttpHeaders) => GuardRejection | null;
  /** Serves an upgrade request that is not a WebSocket as a plain HTTP request (upgrade-as-request.ts). */
  servePlain: (incoming: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** True for `Upgrade: websocket` (RFC 6455 §4.1; the token is case-insensitive). */
export function isWebSocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return String(headers.upgrade ?? '')
    .split(',')
    .some((token) => token.trim().toLowerCase() === 'websocket');
}

/**
 * The server's `upgrade` listener (ARCHITECTURE §2.7): a WebSocket upgrade is a request like
 * any other — a request id, the guard, one `RouteDecision` made here, the header dump,
 * `x-tokenpak-route` on the 101 and on any refusal, counted in flight until the socket
 * closes, status counters, and one ledger row per Responses turn. The backend only carries
 * the decision out. Any other `Upgrade` is served as a plain request.
 */
export function upgradeRoute(deps: UpgradeRouteDeps): (incoming: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const route = routeUpgrade(deps);
  // An event listener that throws would end the process: whatever fails here ends this one socket only.
  return (incoming, socket, head) => {
    try {
      route(incoming, socket, head);
    } catch (error) {
      deps.logger.error('upgrade failed', { error: errorMessage(error) });
      socket.destroy();
    }
  };
}

function routeUpgrade(deps: UpgradeRouteDeps): (incoming: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { resolver, stats, logger } = deps;
  return (incoming, socket, head) => {
    if (!isWebSocketUpgrade(incoming.headers)) {
      deps.servePlain(incoming, socket, head);
      return;
    }
    const requestId = newRequestId();
    const startedAt = Date.now();
    const [path, search] = splitPathAndQuery(incoming.url ?? '/');
    const headers = toWebHeaders(incoming.headers);
    const shape = apiShapeFor(path, headers);
    socket.on('error', () => socket.destroy());

    let status: number | null = null;
    let tunnel: WebSocketTunnel | null = null;
    let decision: RouteDecision | null = null;
    const rowRecorded = deps.openWork.rowPending();
    const removeUpgrade = deps.openWork.addUpgrade({
      goingAway: () => tunnel?.goingAway(),
      destroy: () => (tunnel ? tunnel.destroy() : socket.destroy()),
    });
    stats.begin();
    socket.once('close', () => {
      stats.end(status ?? 'aborted');
      removeUpgrade();
      // An accepted upgrade's rows are its turns (written as they end); a refused one is one request row.
      if (decision && status !== 101 && deps.ledger.enabled) {
        deps.ledger.record(upgradeRefusalEntry(decision, { requestId, method: incoming.method ?? 'GET', path, startedAt }, status));
      }
      rowRecorded();
    });

    const idHeader = [HeaderName.tokenpakRequestId, requestId];
    const refuse = (error: ProxyError, extra: readonly string[] = []): void => {
      status = error.status;
      endSocketWithApiError(socket, shape, error, [...idHeader, ...extra]);
    };

    const noHost = missingHostMessage(incoming);
    if (noHost) return refuse(proxyError('host_missing', noHost));
    const rejection = deps.guard(incoming.headers);
    if (rejection) return refuse(rejection);
    if (!path.startsWith('/v1/') && !deps.providers.claimsPath(path)) return refuse(proxyError('not_served', `TokenPak does not serve ${path}`));

    const request: RouteRequest = { method: incoming.method ?? 'GET', path, search, headers };
    const inspection = resolver.inspect(request);
    const made = resolver.decide(request, inspection, inspection.bodyWanters.length > 0 ? { skipped: 'a WebSocket upgrade has no body' } : undefined);
    decision = made;
    const route = formatRouteHeader(made);
    if (deps.dumpHeaders) logger.info(`request ${requestId} ${request.method} ${path}`, { headers: describeHeaders(headers), route });

    const record = (turn: WebSocketTurn): void => deps.ledger.record(webSocketTurnEntry(made, { requestId, path }, turn));
    deps.upgrades
      .carry(made, {
        incoming,
        client: socket,
        head,
        shape,
        responseHeaders: [...idHeader, HeaderName.tokenpakRoute, route],
        answered: (code) => {
          status = code;
        },
        observe: (agreed) => (deps.ledger.enabled ? new WebSocketTurnMeter(agreed, record) : null),
        opened: (joined) => {
          tunnel = joined;
        },
      })
      .catch((error: unknown) => {
        logger.error('upgrade failed', { requestId, error: errorMessage(error) });
        refuse(proxyError('internal_error', 'TokenPak failed to open the WebSocket upstream'), [HeaderName.tokenpakRoute, route]);
      });
  };
}
