import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject, injectable } from 'tsyringe';
import { isCredentialUnavailable, type CredentialPlanner } from '../credentials/credential-planner';
import type { CredentialPlan } from '../credentials/types';
import type { RequestMeter } from '../ledger/request-meter';
import { flatToRecord, splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import type { RouteDecision } from '../routing/types';
import { writeApiError, type ApiShape } from '../server/api-errors';
import { TOKENS } from '../tokens';
import type { CompanionBackend } from './companion/companion-backend';
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
  /** The ledger's meter for this request (absent when the ledger is off); backends report what they relay or know to it. */
  meter?: RequestMeter;
}

/** Carries out a `RouteDecision` exactly as made; it never re-decides. */
@injectable()
export class Dispatcher {
  constructor(
    @inject(TOKENS.HttpForwarder) private readonly forwarder: HttpForwarder,
    @inject(TOKENS.CredentialPlanner) private readonly credentials: CredentialPlanner,
    @inject(TOKENS.CompanionBackend) private readonly companion: CompanionBackend,
  ) {}

  /** Returns a promise only when work happens before forwarding (a credential file read). */
  dispatch(decision: RouteDecision, exchange: Exchange): void | Promise<void> {
    if (decision.via === 'companion') {
      this.companion.handle(decision, exchange);
      return;
    }
    if (!decision.upstreamUrl) {
      writeApiError(exchange.outgoing, exchange.shape, { status: 404, message: `no provider serves ${exchange.incoming.url ?? ''}` }, flatToRecord(exchange.responseHeaders));
      return;
    }
    if (this.credentials.needsPlan(decision)) return this.forwardWithCredentials(decision, exchange);
    this.forward(decision, exchange);
  }

  private async forwardWithCredentials(decision: RouteDecision, exchange: Exchange): Promise<void> {
    let credentialPlan: CredentialPlan;
    try {
      const [path] = splitPathAndQuery(exchange.incoming.url ?? '/');
      credentialPlan = await this.credentials.planFor(decision, { path, headers: toWebHeaders(exchange.incoming.headers) });
    } catch (error) {
      if (!isCredentialUnavailable(error)) throw error;
      exchange.incoming.resume();
      writeApiError(
        exchange.outgoing,
        exchange.shape,
        { status: 401, message: `TokenPak cannot serve ${decision.provider ?? 'this request'}: ${error.message}; ${error.hint}` },
        flatToRecord(exchange.responseHeaders),
      );
      return;
    }
    this.forward(decision, exchange, credentialPlan);
  }

  private forward(decision: RouteDecision, exchange: Exchange, credentialPlan?: CredentialPlan): void {
    this.forwarder.forward({
      credentialPlan,
      incoming: exchange.incoming,
      outgoing: exchange.outgoing,
      upstreamUrl: decision.upstreamUrl,
      controlHeaders: decision.controlHeaders,
      shape: exchange.shape,
      responseHeaders: exchange.responseHeaders,
      bodyPrefix: exchange.bodyPrefix,
      meter: exchange.meter,
    });
  }
}
