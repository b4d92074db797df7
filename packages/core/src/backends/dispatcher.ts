import type { IncomingMessage } from 'node:http';
import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../config/load-config';
import { isCredentialUnavailable, type CredentialPlanner } from '../credentials/credential-planner';
import type { CredentialPlan } from '../credentials/types';
import type { Logger } from '../log/logger';
import { flatToRecord, splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { defaultProviderForPath } from '../providers/default-provider';
import type { ProviderRegistry } from '../providers/provider-registry';
import { authShape } from '../routing/auth-shape';
import { fallbackNote } from '../routing/route-header';
import type { RouteDecision } from '../decision/route-decision';
import { writeApiError } from '../http/api-errors';
import { TOKENS } from '../di-tokens';
import type { CompanionBackend } from './companion/companion-backend';
import type { Exchange } from './exchange';
import { FallbackChain, withRouteNote } from './fallback-chain';
import type { HttpForwarder } from './http-forwarder';
import { RequestBodyKeeper } from './request-body-keeper';
import { timeoutsOf } from './upstream-timeout';

/** The companion reads bodies up to 32 MiB whole; its fallback keeps a copy of the same. */
const COMPANION_BODY_LIMIT = 32 * 1024 * 1024;

/** Carries out a `RouteDecision` exactly as made; it never re-decides (a fallback keeps the decision and says so). */
@injectable()
export class Dispatcher {
  constructor(
    @inject(TOKENS.HttpForwarder) private readonly forwarder: HttpForwarder,
    @inject(TOKENS.CredentialPlanner) private readonly credentials: CredentialPlanner,
    @inject(TOKENS.CompanionBackend) private readonly companion: CompanionBackend,
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  /** Returns a promise only when work happens before forwarding (a credential file read). */
  dispatch(decision: RouteDecision, exchange: Exchange): void | Promise<void> {
    if (decision.via === 'companion') {
      this.companion.handle(decision, this.withUnavailableFallback(decision, exchange));
      return;
    }
    if (!decision.upstreamUrl) {
      writeApiError(
        exchange.outgoing,
        exchange.shape,
        { code: 'no_provider', status: 404, message: `no provider serves ${exchange.incoming.url ?? ''}` },
        flatToRecord(exchange.responseHeaders),
      );
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
        {
          code: 'credential_unavailable',
          status: 401,
          message: `TokenPak cannot serve ${decision.provider ?? 'this request'}: ${error.message}; ${error.hint}`,
        },
        flatToRecord(exchange.responseHeaders),
      );
      return;
    }
    this.forward(decision, exchange, credentialPlan);
  }

  private forward(decision: RouteDecision, exchange: Exchange, credentialPlan?: CredentialPlan): void {
    const config = this.resolved.config;
    const provider = this.servingProvider(decision, exchange.incoming);
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
      timeouts: timeoutsOf(config, provider),
      retryBufferBytes: config.routing.retryBufferBytes,
      fallback: this.fallbackChain(provider, exchange),
    });
  }

  /**
   * The provider whose upstream the decision's URL points at: the decided one when it has an
   * upstream, else the path's default (as `ProviderRegistry.target` chose it) — its
   * `timeouts` and `fallback` apply. Read through the no-copy headers view.
   */
  private servingProvider(decision: RouteDecision, incoming: IncomingMessage): string | null {
    if (decision.provider && this.providers.upstreamOf(decision.provider)) return decision.provider;
    const [path] = splitPathAndQuery(incoming.url ?? '/');
    return defaultProviderForPath(path, toWebHeaders(incoming.headers)) ?? decision.provider;
  }

  /** The provider's fallback walk, only when it has rules (most requests pay one lookup). */
  private fallbackChain(provider: string | null, exchange: Exchange): FallbackChain | undefined {
    if (!provider || !this.resolved.config.providers[provider]?.fallback.length) return undefined;
    const [path, search] = splitPathAndQuery(exchange.incoming.url ?? '/');
    return new FallbackChain(
      this.resolved.config,
      this.providers,
      { path, search, headers: toWebHeaders(exchange.incoming.headers) },
      provider,
      exchange.responseHeaders,
    );
  }

  /**
   * An unavailable companion hands the request on: to the provider a `fallback` rule with
   * `unavailable` names, else (`companion.fallbackToCaller`) to the provider's upstream with
   * the caller's own credentials — only when the caller sent some. The body the companion
   * reads is copied alongside, so it can be sent on.
   */
  private withUnavailableFallback(decision: RouteDecision, exchange: Exchange): Exchange {
    const chain = this.fallbackChain(decision.provider, exchange);
    const configured = chain?.handles('unavailable') ?? false;
    const toCaller =
      this.resolved.config.companion.fallbackToCaller && decision.upstreamUrl !== '' && authShape(toWebHeaders(exchange.incoming.headers)) !== 'none';
    if (!configured && !toCaller) return exchange;
    const keeper = new RequestBodyKeeper(exchange.incoming, exchange.bodyPrefix, COMPANION_BODY_LIMIT);
    const unavailable = (reason: string): boolean => {
      if (exchange.outgoing.headersSent || !keeper.whole) return false;
      const step = configured ? chain!.next('unavailable') : null;
      const note = step?.note ?? fallbackNote(decision.provider ?? 'caller', 'unavailable');
      this.logger.warn(`companion unavailable; forwarding instead (${note})`, { reason });
      exchange.meter?.noteFallback(note);
      keeper
        .wholeBody()
        .then((body) => {
          this.forwarder.forward({
            incoming: exchange.incoming,
            outgoing: exchange.outgoing,
            upstreamUrl: step?.upstreamUrl ?? decision.upstreamUrl,
            shape: exchange.shape,
            responseHeaders: step?.responseHeaders ?? withRouteNote(exchange.responseHeaders, note),
            meter: exchange.meter,
            timeouts: step?.timeouts ?? timeoutsOf(this.resolved.config, decision.provider),
            fallback: step ? chain : undefined,
            heldBody: body ?? [],
          });
        })
        .catch((error: unknown) => {
          this.logger.error('companion fallback failed', { error: error instanceof Error ? error.message : String(error) });
          writeApiError(
            exchange.outgoing,
            exchange.shape,
            { code: 'companion_unavailable', status: 502, message: 'TokenPak could not forward the request the companion could not serve' },
            flatToRecord(exchange.responseHeaders),
          );
        });
      return true;
    };
    return { ...exchange, unavailable };
  }
}
