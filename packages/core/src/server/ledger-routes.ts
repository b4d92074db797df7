import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import type { ServerResponse } from 'node:http';
import type { LedgerFeed } from '../ledger/ledger-feed';
import { LedgerOffError, LedgerUnavailableError, type LedgerRecorder } from '../ledger/ledger-recorder';
import { rowToJson, type LedgerRow } from '../ledger/ledger-row';
import { ERROR_CATALOGUE } from '../http/error-codes';
import { apiErrorResponse } from './error-response';
import type { TokenPakEnv } from './hono-env';
import { cursorFrom, groupKeyFrom, limitFrom, QueryParamError, rowFilterFrom } from './ledger-query-params';

export interface LedgerRouteDeps {
  ledger: LedgerRecorder;
  feed: LedgerFeed;
}

/** Keeps idle SSE connections open through proxies and browser timeouts. */
const HEARTBEAT_MS = 15_000;
/** A subscriber this far behind is cut off; its EventSource reconnects and catches up from the file. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Rows replayed to a reconnecting subscriber (`Last-Event-ID`). */
const CATCH_UP_ROWS = 1000;

const OFF_MESSAGE = 'the request ledger is off (ledger.enabled is false, or its file could not be opened; see the proxy log)';

/** A proxy-made error in the caller's shape; `type` equals the code for the ledger's own states (kept stable for scripts). */
const jsonError = (c: Context<TokenPakEnv>, code: 'invalid_body' | 'ledger_off' | 'ledger_unavailable', message: string) =>
  apiErrorResponse(c, { code, status: ERROR_CATALOGUE[code].status, message, ...(code === 'invalid_body' ? {} : { type: code }) });

/**
 * `GET /tokenpak/requests`, `GET /tokenpak/stats`, `GET /tokenpak/events` (ARCHITECTURE §5:
 * control endpoints, never forwarded). Same filters as `tokenpak requests` / `stats`.
 */
export function ledgerRoutes(deps: LedgerRouteDeps): Hono<TokenPakEnv> {
  const routes = new Hono<TokenPakEnv>();

  routes.get(
    '/requests',
    answerBadQueries(async (c) => {
      const query = c.req.query();
      const rows = await deps.ledger.query({
        name: 'list',
        filter: { ...rowFilterFrom(query), limit: limitFrom(query), beforeId: cursorFrom('before', query.before) },
      });
      return c.json({ requests: rows.map(rowToJson) });
    }),
  );

  routes.get(
    '/stats',
    answerBadQueries(async (c) => {
      const query = c.req.query();
      const report = await deps.ledger.query({ name: 'summarize', filter: rowFilterFrom(query, '24h'), by: groupKeyFrom(query.by) });
      return c.json({ ...report, since: report.since === null ? null : new Date(report.since).toISOString() });
    }),
  );

  routes.get(
    '/events',
    answerBadQueries(async (c) => {
      deps.ledger.assertAvailable();
      const after = cursorFrom('after', c.req.header('last-event-id') ?? c.req.query('after'));
      const { outgoing } = c.env;
      // Live rows that arrive while the catch-up query runs wait here, then go out in order without repeats.
      let lastSent = after ?? 0;
      let held: LedgerRow[] | null = after === undefined ? null : [];
      const deliver = (rows: readonly LedgerRow[]): void => {
        const fresh = rows.filter((row) => row.id > lastSent);
        if (fresh.length === 0) return;
        lastSent = fresh[fresh.length - 1]!.id;
        send(outgoing, fresh, stop);
      };
      const unsubscribe = deps.feed.subscribe((rows) => (held ? held.push(...rows) : deliver(rows)));
      const heartbeat = setInterval(() => outgoing.write(': ping\n\n'), HEARTBEAT_MS);
      function stop(): void {
        clearInterval(heartbeat);
        unsubscribe();
        if (!outgoing.writableEnded) outgoing.end();
      }
      outgoing.once('close', stop);
      outgoing.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      outgoing.write('retry: 2000\n\n');
      if (after !== undefined) {
        let missed: LedgerRow[] = [];
        try {
          missed = await deps.ledger.query({ name: 'after', afterId: after, limit: CATCH_UP_ROWS });
        } catch {
          // no catch-up (the ledger just went off): live rows still flow
        }
        const waiting = held ?? [];
        held = null;
        deliver(missed);
        deliver(waiting);
      }
      return RESPONSE_ALREADY_SENT;
    }),
  );

  return routes;
}

/** A malformed query parameter is the caller's mistake (400); a ledger that is off or unavailable (§7: bounded to 2 s) is a 503. */
function answerBadQueries(handler: (c: Context<TokenPakEnv>) => Promise<Response>): (c: Context<TokenPakEnv>) => Promise<Response> {
  return async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      if (error instanceof QueryParamError) return jsonError(c, 'invalid_body', error.message);
      if (error instanceof LedgerOffError) return jsonError(c, 'ledger_off', OFF_MESSAGE);
      if (error instanceof LedgerUnavailableError)
        return jsonError(c, 'ledger_unavailable', `${error.message}; requests are still proxied (see tokenpak status)`);
      throw error;
    }
  };
}

function send(outgoing: ServerResponse, rows: readonly LedgerRow[], stop: () => void): void {
  if (outgoing.writableEnded || outgoing.destroyed) return;
  for (const row of rows) outgoing.write(`id: ${row.id}\nevent: request\ndata: ${JSON.stringify(rowToJson(row))}\n\n`);
  if (outgoing.writableLength > MAX_BUFFERED_BYTES) stop();
}
