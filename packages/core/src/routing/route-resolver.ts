import { inject, injectable } from 'tsyringe';
import type { PlatformBridge } from '../bridge/platform-bridge';
import type { PlatformMatch, PlatformSignal } from '../bridge/types';
import type { ResolvedConfig } from '../config/load-config';
import type { ProviderRegistry } from '../providers/provider-registry';
import { TOKENS } from '../tokens';
import { selectBackend } from './backend-selector';
import { selectCredentialSource } from './credential-source';
import { resolveProvider } from './resolve-provider';
import { classifyRoute } from './route-classifier';
import type { RouteDecision, RouteRequest, Via } from './types';

/** Phase one of routing: the header-only signal match, and which signals want the body. */
export interface RouteInspection {
  match: PlatformMatch | null;
  /** Non-empty only when no signal matched on headers and some signal asks for the body. */
  bodyWanters: readonly PlatformSignal[];
}

/**
 * The one place a `RouteDecision` is made: bridge → provider resolution → classifier →
 * selector → upstream. The dispatcher obeys what this returns; nothing re-decides later.
 */
@injectable()
export class RouteResolver {
  constructor(
    @inject(TOKENS.PlatformBridge) private readonly bridge: PlatformBridge,
    @inject(TOKENS.ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
  ) {}

  inspect(request: RouteRequest): RouteInspection {
    const signalRequest = { method: request.method, path: request.path };
    const match = this.bridge.detect(request.headers, signalRequest);
    return { match, bodyWanters: match ? [] : this.bridge.bodyWanters(request.headers, signalRequest) };
  }

  /**
   * Decides the route. `body` is the parsed request body, given only when the
   * inspection asked for it and the body was small enough to inspect.
   */
  decide(request: RouteRequest, inspection: RouteInspection, body?: { json: unknown } | { skipped: string }): RouteDecision {
    const reasons: string[] = [];
    let match = inspection.match;
    if (!match && inspection.bodyWanters.length > 0) {
      if (body && 'json' in body) {
        match = this.bridge.detectFromBody(inspection.bodyWanters, body.json, request.headers, { method: request.method, path: request.path });
        if (!match) reasons.push('platform: body inspected, no signal recognised it');
      } else if (body) {
        reasons.push(`platform: body not inspected (${body.skipped})`);
      }
    }
    const resolution = resolveProvider(request.headers, match, reasons);
    const { routeClass, reason } = classifyRoute(request.headers, request.path, resolution.provider);
    reasons.push(`class: ${routeClass} (${reason})`);
    const backend = selectBackend(request.headers, resolution.provider, routeClass, reasons);
    const via: Via = 'http';
    const target = this.providers.target(resolution.provider, request, reasons);
    if (target) reasons.push(`upstream: ${target.provider} at ${new URL(target.url).origin}`);
    else reasons.push(`upstream: none serves ${request.path}`);
    const credentialSource = selectCredentialSource(resolution.provider, via, this.resolved.config, reasons);
    return Object.freeze({
      ...resolution,
      routeClass,
      backend,
      via,
      credentialSource,
      upstreamUrl: target?.url ?? '',
      reasons: Object.freeze(reasons),
    });
  }

  /** Header-only convenience (dry run, tests): inspect then decide, with an optional parsed body. */
  resolve(request: RouteRequest, bodyJson?: unknown): RouteDecision {
    const inspection = this.inspect(request);
    return this.decide(request, inspection, bodyJson === undefined ? undefined : { json: bodyJson });
  }
}
