import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Handler } from 'hono';
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from '../backends/dispatcher';
import { readBodyPrefix, type BodyPrefix } from '../http/read-body-prefix';
import { HeaderName } from '../http/header-names';
import { splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { ledgerEntryFor } from '../ledger/ledger-entry';
import type { LedgerRecorder } from '../ledger/ledger-recorder';
import type { Logger } from '../log/logger';
import { bodyInspectionSkip, bodyTooLarge, declaredLength } from '../routing/body-inspection';
import { formatRouteHeader } from '../routing/route-header';
import type { RouteResolver } from '../routing/route-resolver';
import type { RouteRequest } from '../decision/route-decision';
import { apiShapeFor, writeApiError } from '../http/api-errors';
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

type BodyForRouting = { json: unknown } | { skipped: string } | undefined;

/**
 * The proxied-request handler: decide once, then hand the raw Node request/response to
 * the dispatcher. Bytes never pass through Web streams (ARCHITECTURE §2.5); the
 * response is written on `c.env.outgoing` and Hono is told it was already sent.
 */
export function dataPlane(deps: DataPlaneDeps): Handler<TokenPakEnv> {
  const { resolver, dispatcher, stats, logger } = deps;
  return async (c) => {
    const { incoming, outgoing } = c.env;
    const requestId = c.get('requestId');
    const [path, search] = splitPathAndQuery(incoming.url ?? '/');
    const headers = toWebHeaders(incoming.headers);
    const request: RouteRequest = { method: incoming.method ?? 'GET', path, search, headers };
    const shape = apiShapeFor(path, headers);

    stats.begin();
    const rowRecorded = deps.openWork?.rowPending();
    // After-response work hangs on the Node response (§2.5): one listener for the counters and the ledger row.
    let recordLedgerRow: (() => void) | null = null;
    outgoing.once('close', () => {
      stats.end(outgoing.writableFinished ? outgoing.statusCode : 'aborted');
      if (recordLedgerRow) recordLedgerRow();
      else rowRecorded?.();
    });

    const inspection = resolver.inspect(request);
    let bodyPrefix: Buffer | undefined;
    let body: BodyForRouting;
    if (inspection.bodyWanters.length > 0) {
      try {
        ({ bodyPrefix, body } = await readForInspection(incoming, request, deps.maxInspectBytes));
      } catch {
        outgoing.destroy();
        return RESPONSE_ALREADY_SENT;
      }
    }
    const decision = resolver.decide(request, inspection, body);
    if (deps.dumpHeaders) {
      logger.info(`request ${requestId} ${request.method} ${path}`, { headers: describeHeaders(headers), route: formatRouteHeader(decision) });
    }
    const responseHeaders = [HeaderName.tokenpakRequestId, requestId, HeaderName.tokenpakRoute, formatRouteHeader(decision)];
    const meter = deps.ledger.startMeter();
    if (meter) {
      // Runs once the last byte went out, or the client left.
      recordLedgerRow = () => {
        const facts = { requestId, method: request.method, path, declaredLength: declaredLength(headers) };
        meter.finish((measurement) => {
          deps.ledger.record(ledgerEntryFor(decision, facts, outgoing, measurement));
          rowRecorded?.();
        });
      };
    }
    try {
      await dispatcher.dispatch(decision, { incoming, outgoing, shape, responseHeaders, bodyPrefix, meter: meter ?? undefined });
    } catch (error) {
      logger.error('dispatch failed', { requestId, error: error instanceof Error ? error.message : String(error) });
      writeApiError(
        outgoing,
        shape,
        { code: 'internal_error', status: 500, message: 'TokenPak failed to dispatch the request' },
        { [HeaderName.tokenpakRequestId]: requestId },
      );
    }
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
