import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject, injectable } from 'tsyringe';
import { flatToRecord } from '../http/node-headers';
import type { RouteDecision } from '../routing/types';
import { writeApiError, type ApiShape } from '../server/api-errors';
import { TOKENS } from '../tokens';
import type { HttpForwarder } from './http-forwarder';

/** One client exchange, handed from the server to a backend. */
export interface Exchange {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  shape: ApiShape;
  /** Flat `[name, value, …]` headers every response to this request carries. */
  responseHeaders: readonly string[];
  /** Body bytes already read for inspection. */
  bodyPrefix?: Buffer;
}

/** Carries out a `RouteDecision` exactly as made; it never re-decides. */
@injectable()
export class Dispatcher {
  constructor(@inject(TOKENS.HttpForwarder) private readonly forwarder: HttpForwarder) {}

  dispatch(decision: RouteDecision, exchange: Exchange): void {
    if (!decision.upstreamUrl) {
      writeApiError(exchange.outgoing, exchange.shape, { status: 404, message: `no provider serves ${exchange.incoming.url ?? ''}` }, flatToRecord(exchange.responseHeaders));
      return;
    }
    this.forwarder.forward({
      incoming: exchange.incoming,
      outgoing: exchange.outgoing,
      upstreamUrl: decision.upstreamUrl,
      shape: exchange.shape,
      responseHeaders: exchange.responseHeaders,
      bodyPrefix: exchange.bodyPrefix,
    });
  }
}
