import { inject, injectable } from 'tsyringe';
import type { PlatformBridge } from '../bridge/platform-bridge';
import type { PlatformMatch, PlatformSignal } from '../bridge/types';
import type { ResolvedConfig } from '../config/load-config';
import type { ProviderRegistry } from '../providers/provider-registry';
import { TOKENS } from '../di-tokens';
import { selectBackend } from './backend-selector';
import { selectCredentialSource } from './credential-source';
import { resolveProvider } from './resolve-provider';
import { classifyRoute } from './route-classifier';
import { Provider, type Backend, type RouteDecision, type RouteRequest, type Via } from '../decision/route-decision';

/** Messages API paths the companion serves (count_tokens with a local estimate). */
const COMPANION_PATHS: ReadonlySet<string> = new Set(['/v1/messages', '/v1/messages/count_tokens']);

/** Phase one of routing: the header-only signal match, and which signals want the body. */
export interface RouteInspection {
  match: PlatformMatch | null;
  /**
   * Non-empty only when no provider-naming signal matched on headers and some signal asks
   * for the body (a platform-only match, e.g. Claude Code, does not hide a body signal).
   */
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
    const namesProvider = match !== null && (match.signal.defaultProvider !== null || !!match.origin.declaredProvider);
    return { match, bodyWanters: namesProvider ? [] : this.bridge.bodyWanters(request.headers, signalRequest) };
  }

  /**
   * Decides the route. `body` is the parsed request body, given only when the
   * inspection asked for it and the body was small enough to inspect.
   */
  decide(request: RouteRequest, inspection: RouteInspection, body?: { json: unknown } | { skipped: string }): RouteDecision {
    const reasons: string[] = [];
    let match = inspection.match;
    if (inspection.bodyWanters.length > 0) {
      if (body && 'json' in body) {
        const bodyMatch = this.bridge.detectFromBody(inspection.bodyWanters, body.json, request.headers, { method: request.method, path: request.path });
        if (bodyMatch) match = bodyMatch;
        else reasons.push('platform: body inspected, no signal recognised it');
      } else if (body) {
        reasons.push(`platform: body not inspected (${body.skipped})`);
      }
    }
    const resolution = resolveProvider(request.headers, match, reasons);
    const { routeClass, reason } = classifyRoute(request.headers, request.path, resolution.provider);
    reasons.push(`class: ${routeClass} (${reason})`);
    const backend = selectBackend(request.headers, resolution.provider, routeClass, reasons);
    const via = this.transport(request, resolution.provider, backend, reasons);
    const target = this.providers.target(resolution.provider, request, reasons);
    if (target) reasons.push(`upstream: ${target.provider} at ${target.origin}`);
    else reasons.push(`upstream: none serves ${request.path}`);
    const credentialSource = selectCredentialSource(resolution.provider, via, this.resolved.config, reasons);
    // An explicit literal: spreading `resolution` measured ~3x slower on Node 20, and this runs per request.
    return Object.freeze({
      platform: resolution.platform,
      sessionId: resolution.sessionId,
      provider: resolution.provider,
      providerSource: resolution.providerSource,
      routeClass,
      backend,
      via,
      credentialSource,
      upstreamUrl: target?.url ?? '',
      controlHeaders: this.bridge.controlHeaders(),
      reasons: Object.freeze(reasons),
    });
  }

  /**
   * How the request is carried (ARCHITECTURE §2.4): the Claude companion for
   * `tokenpak-claude-code` Messages traffic on the `oauth` backend while
   * `companion.dispatch` is on; HTTP forward otherwise (decided from the provider
   * first, so other traffic pays one comparison).
   */
  private transport(request: RouteRequest, provider: string | null, backend: Backend, reasons: string[]): Via {
    if (provider !== Provider.claudeCode || backend !== 'oauth' || !COMPANION_PATHS.has(request.path) || request.method !== 'POST') return 'http';
    if (!this.resolved.config.companion.dispatch) {
      reasons.push('via: http (companion dispatch is off: companion.dispatch / TOKENPAK_COMPANION_DISPATCH=0)');
      return 'http';
    }
    reasons.push(
      `via: companion (${provider} on the oauth backend, POST ${request.path}: served by the local claude CLI; the upstream applies only with dispatch off)`,
    );
    return 'companion';
  }

  /** Header-only convenience (dry run, tests): inspect then decide, with an optional parsed body. */
  resolve(request: RouteRequest, bodyJson?: unknown): RouteDecision {
    const inspection = this.inspect(request);
    return this.decide(request, inspection, bodyJson === undefined ? undefined : { json: bodyJson });
  }
}
