import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Handler } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from '../backends/dispatcher';
import { readBodyPrefix, type BodyPrefix } from '../http/read-body-prefix';
import { HeaderName } from '../http/header-names';
import { splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { ledgerEntryFor } from '../ledger/ledger-entry';
import type { LedgerRecorder } from '../ledger/ledger-recorder';
import type { Logger } from '../log/logger';
import { errorMessage } from '../log/error-message';
import { bodyInspectionSkip, bodyTooLarge, declaredLength } from '../routing/body-inspection';
import { RouteHeaderFormatter } from '../routing/route-header';
import type { RouteInspection, RouteResolver } from '../routing/route-resolver';
import type { RouteDecision, RouteRequest } from '../decision/route-decision';
import { apiShapeFor, writeApiError, type ApiShape } from '../http/api-errors';
import type { RequestMeter } from '../ledger/request-meter';
import { describeHeaders } from './header-dump';
import type { TokenPakEnv } from './hono-env';
import type { OpenWork } from './open-work';
import type { ServerStats } from './server-stats';

export interface DataPlaneDeps {
  resolver: RouteResolver;
  dispatcher: Dispatcher;
  stats: ServerStats;
  logger: Logger;
  maxInspectBytes: number;
  dumpHeaders: boolean;
  /** Records one ledger row per request when its response closes. */
  ledger: LedgerRecorder;
  /** Told of each row still to be recorded, so shutdown closes the ledger only after the rows of what it cut. */
  openWork?: OpenWork;
}

/**
 * Serves one proxied request on the raw Node request/response: decide once, then hand both to
 * the dispatcher. `requestId` was given at admission; `onClose` (the reload generation's
 * count) runs when the response closes. Never throws and never rejects: every failure
 * becomes an answer in the caller's API shape or a cut connection.
 */
export type ProxiedRequestHandler = (incoming: IncomingMessage, outgoing: ServerResponse, requestId: string, onClose?: () => void) => void;

type BodyForRouting = { json: unknown } | { skipped: string } | undefined;

/**
 * The proxied-request handler (ARCHITECTURE §4). Bytes never pass through Web streams
 * (§2.5). The path that needs no body inspection runs synchronously from admission to the
 * upstream request: no promise, one `close` listener for counters, ledger row and `onClose`.
 */
export function dataPlane(deps: DataPlaneDeps): ProxiedRequestHandler {
  const { resolver, dispatcher, stats, logger, ledger, openWork } = deps;
  const routeHeaders = new RouteHeaderFormatter();

  const dispatch = (request: RouteRequest, shape: ApiShape, requestId: string, decision: RouteDecision, exchange: ExchangeStart): void => {
    const { incoming, outgoing, meter } = exchange;
    const route = routeHeaders.format(decision);
    if (deps.dumpHeaders) logger.info(`request ${requestId} ${request.method} ${request.path}`, { headers: describeHeaders(request.headers), route });
    const responseHeaders = [HeaderName.tokenpakRequestId, requestId, HeaderName.tokenpakRoute, route];
    exchange.decision = decision;
    const failed = (error: unknown): void => {
      logger.error('dispatch failed', { requestId, error: errorMessage(error) });
      writeApiError(
        outgoing,
        shape,
        { code: 'internal_error', status: 500, message: 'TokenPak failed to dispatch the request' },
        { [HeaderName.tokenpakRequestId]: requestId },
      );
    };
    try {
      const pending = dispatcher.dispatch(decision, { incoming, outgoing, shape, responseHeaders, bodyPrefix: exchange.bodyPrefix, meter: meter ?? undefined });
      if (pending) pending.catch(failed);
    } catch (error) {
      failed(error);
    }
  };

  const inspectThenDispatch = async (request: RouteRequest, shape: ApiShape, requestId: string, inspection: RouteInspection, exchange: ExchangeStart) => {
    let body: BodyForRouting;
    try {
      ({ bodyPrefix: exchange.bodyPrefix, body } = await readForInspection(exchange.incoming, request, deps.maxInspectBytes));
    } catch {
      exchange.outgoing.destroy();
      return;
    }
    dispatch(request, shape, requestId, resolver.decide(request, inspection, body), exchange);
  };

  return (incoming, outgoing, requestId, onClose) => {
    const [path, search] = splitPathAndQuery(incoming.url ?? '/');
    const headers = toWebHeaders(incoming.headers);
    const request: RouteRequest = { method: incoming.method ?? 'GET', path, search, headers };
    const shape = apiShapeFor(path, headers);
    const meter = ledger.startMeter();
    const exchange: ExchangeStart = { incoming, outgoing, meter, decision: null, bodyPrefix: undefined };

    stats.begin();
    const rowRecorded = openWork?.rowPending();
    // After-response work hangs on the Node response (§2.5): one listener for the counters, the ledger row and the generation.
    outgoing.once('close', () => {
      stats.end(outgoing.writableFinished ? outgoing.statusCode : 'aborted');
      onClose?.();
      const decision = exchange.decision;
      if (!meter || !decision) return rowRecorded?.();
      // Runs once the last byte went out, or the client left.
      const facts = { requestId, method: request.method, path, declaredLength: declaredLength(headers) };
      meter.finish((measurement) => {
        ledger.record(ledgerEntryFor(decision, facts, outgoing, measurement));
        rowRecorded?.();
      });
    });

    const inspection = resolver.inspect(request);
    if (inspection.bodyWanters.length > 0) {
      inspectThenDispatch(request, shape, requestId, inspection, exchange).catch((error: unknown) => {
        logger.error('request inspection failed', { requestId, error: errorMessage(error) });
        outgoing.destroy();
      });
      return;
    }
    dispatch(request, shape, requestId, resolver.decide(request, inspection), exchange);
  };
}

/** What the handler knows of one exchange before and while it is dispatched. */
interface ExchangeStart {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  meter: RequestMeter | null;
  /** Set once decided: a request cut before its decision has no row to record. */
  decision: RouteDecision | null;
  bodyPrefix: Buffer | undefined;
}

/** The data plane as a Hono route, for proxied requests that reach the Hono app (absolute-form targets, provider-claimed paths). */
export function dataPlaneRoute(serve: ProxiedRequestHandler): Handler<TokenPakEnv> {
  return (c) => {
    serve(c.env.incoming, c.env.outgoing, c.get('requestId'));
    return RESPONSE_ALREADY_SENT;
  };
}

/** Reads (a bounded prefix of) the body for body-inspecting signals; the bytes are forwarded unchanged. */
async function readForInspection(incoming: IncomingMessage, request: RouteRequest, limit: number): Promise<{ bodyPrefix?: Buffer; body: BodyForRouting }> {
  const skipped = bodyInspectionSkip(request.method, request.headers, declaredLength(request.headers), limit);
  if (skipped) return { body: { skipped } };
  const prefix: BodyPrefix = await readBodyPrefix(incoming, limit);
  if (!prefix.complete) return { bodyPrefix: prefix.bytes, body: { skipped: bodyTooLarge(limit) } };
  try {
    return { bodyPrefix: prefix.bytes, body: { json: JSON.parse(prefix.bytes.toString('utf8')) } };
  } catch {
    return { bodyPrefix: prefix.bytes, body: { skipped: 'body is not JSON' } };
  }
}
