import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeApiError, type ApiShape } from '../http/api-errors';
import { flatToRecord } from '../http/node-headers';
import type { RequestMeter } from '../ledger/request-meter';
import type { Logger } from '../log/logger';

/** The ledger's error type for an upstream that broke HTTP (here: switched protocols unasked). */
export const UPSTREAM_PROTOCOL_ERROR = 'upstream_protocol_error';

/**
 * An upstream answered `101 Switching Protocols` to a request that asked for no upgrade
 * (ARCHITECTURE §2.7; RFC 9110 §15.2.2 allows 101 only in answer to `Upgrade`). Nothing of
 * it is relayed: the caller gets a 502 in its API shape, and the ledger row says why.
 */
export function answerUnrequestedUpgrade(
  exchange: { incoming: IncomingMessage; outgoing: ServerResponse; shape: ApiShape; responseHeaders: readonly string[]; meter?: RequestMeter },
  origin: string,
  logger: Logger,
): void {
  exchange.meter?.noteError(UPSTREAM_PROTOCOL_ERROR);
  logger.warn('upstream switched protocols on a request that did not ask for it', { upstream: origin });
  writeApiError(
    exchange.outgoing,
    exchange.shape,
    { status: 502, message: `the upstream ${origin} answered 101 Switching Protocols to a request that asked for no upgrade`, code: UPSTREAM_PROTOCOL_ERROR },
    { ...flatToRecord(exchange.responseHeaders), ...(exchange.incoming.complete ? {} : { connection: 'close' }) },
  );
}
