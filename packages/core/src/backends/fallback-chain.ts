import type { FallbackTrigger, TokenPakConfig, UpstreamTimeouts } from '../config/schema';
import { HeaderName } from '../http/header-names';
import type { ProviderRegistry } from '../providers/provider-registry';
import { fallbackNote } from '../routing/route-header';
import { timeoutsOf } from './upstream-timeout';

/** Where a request goes next after a failure before its response started. */
export interface FallbackStep {
  provider: string;
  /** Absolute upstream URL (path and query mapped as for a first choice). */
  upstreamUrl: string;
  timeouts: UpstreamTimeouts;
  /** The client response headers with the route header extended by `fallback=<provider> (<trigger>)`. */
  responseHeaders: string[];
  /** `fallback=<provider> (<trigger>)`, for logs and the ledger row. */
  note: string;
}

/** The HTTP status of an upstream answer as a fallback trigger, or null when no rule could ask for it. */
export function statusTrigger(status: number | undefined): FallbackTrigger | null {
  if (status === 429) return 'status:429';
  if (status !== undefined && status >= 500 && status <= 599) return 'status:5xx';
  return null;
}

/**
 * One request's walk along `providers.<name>.fallback` (ARCHITECTURE §7). Each step follows
 * the rules of the provider it is on (so chains work), never visits a provider twice, and
 * leaves the decision itself untouched: only the route header and the ledger row gain
 * `fallback=<provider> (<trigger>)`. A fallback target is forwarded with the caller's own
 * credentials (the user named it in config; no credential source is injected).
 */
export class FallbackChain {
  private current: string;
  private readonly visited: Set<string>;
  private headers: readonly string[];

  constructor(
    private readonly config: TokenPakConfig,
    private readonly providers: ProviderRegistry,
    private readonly request: { path: string; search: string; headers: Headers },
    provider: string,
    responseHeaders: readonly string[],
  ) {
    this.current = provider;
    this.visited = new Set([provider]);
    this.headers = responseHeaders;
  }

  /** True when the current provider has a rule for `trigger` (so an answer with that status is worth holding back). */
  handles(trigger: FallbackTrigger): boolean {
    return this.config.providers[this.current]?.fallback.some((rule) => rule.on.includes(trigger)) ?? false;
  }

  /** Moves to the next provider for `trigger`, or returns null when no rule applies (or none has an upstream). */
  next(trigger: FallbackTrigger): FallbackStep | null {
    for (const rule of this.config.providers[this.current]?.fallback ?? []) {
      if (!rule.on.includes(trigger) || this.visited.has(rule.provider)) continue;
      const target = this.providers.target(rule.provider, this.request, []);
      if (!target || target.provider !== rule.provider) continue;
      this.visited.add(rule.provider);
      this.current = rule.provider;
      const note = fallbackNote(rule.provider, trigger);
      this.headers = withRouteNote(this.headers, note);
      return {
        provider: rule.provider,
        upstreamUrl: target.url,
        timeouts: timeoutsOf(this.config, rule.provider),
        responseHeaders: [...this.headers],
        note,
      };
    }
    return null;
  }
}

/** Appends `; <note>` to the `x-tokenpak-route` value in a flat header list (additive to the route grammar). */
export function withRouteNote(flat: readonly string[], note: string): string[] {
  const out = [...flat];
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === HeaderName.tokenpakRoute) out[i + 1] = `${out[i + 1]}; ${note}`;
  return out;
}
