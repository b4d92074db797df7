import { inject, injectable } from 'tsyringe';
import type { Disposer } from '../bridge/types';
import type { ResolvedConfig } from '../config/load-config';
import { TOKENS } from '../di-tokens';
import { defaultProviderForPath } from './default-provider';
import { parseUpstreamBase, upstreamUrlFor, type UpstreamBase } from './upstream-base';
import type { ProviderDefinition } from './types';

export interface UpstreamTarget {
  /** The provider whose upstream serves the request (may differ from the decided one on fallback). */
  provider: string;
  url: string;
  /** The upstream's origin (`https://api.anthropic.com`), for messages. */
  origin: string;
}

/** Provider definitions (built-ins from config, the rest from plugins) and upstream lookup. */
@injectable()
export class ProviderRegistry {
  private readonly definitions = new Map<string, ProviderDefinition>();
  /** Parsed upstream base URLs: parsing one per request showed up in profiles. */
  private readonly parsedUpstreams = new Map<string, UpstreamBase>();

  constructor(@inject(TOKENS.Config) private readonly resolved: ResolvedConfig) {}

  register(definition: ProviderDefinition): Disposer {
    if (!definition || typeof definition.name !== 'string' || definition.name.trim() === '') {
      throw new TypeError('a provider definition needs a non-empty "name"');
    }
    if (definition.upstream !== undefined) {
      const parsed = new URL(definition.upstream);
      if (parsed.username || parsed.password) throw new TypeError(`provider "${definition.name}": upstream must not contain credentials (user:password@host)`);
    }
    this.definitions.set(definition.name, definition);
    return () => {
      if (this.definitions.get(definition.name) === definition) this.definitions.delete(definition.name);
    };
  }

  /** Provider names that are known (configured or registered). */
  names(): string[] {
    return [...new Set([...Object.keys(this.resolved.config.providers), ...this.definitions.keys()])].sort();
  }

  /** The upstream base URL of a provider: config first, then the registering plugin's default. */
  upstreamOf(provider: string): string | null {
    return this.resolved.config.providers[provider]?.upstream ?? this.definitions.get(provider)?.upstream ?? null;
  }

  /** True when some registered provider receives traffic on this non-`/v1/` path. */
  claimsPath(path: string): boolean {
    return this.claimantOf(path) !== null;
  }

  /** The registered provider whose `pathPrefixes` cover `path`. */
  private claimantOf(path: string): string | null {
    for (const definition of this.definitions.values()) {
      if (definition.pathPrefixes?.some((prefix) => path.startsWith(prefix))) return definition.name;
    }
    return null;
  }

  /**
   * Where a request for `provider` goes. A provider with no usable upstream falls back to
   * the path's default provider (ARCHITECTURE §4), and says so in `reasons`.
   */
  target(provider: string | null, request: { path: string; search: string; headers: Headers }, reasons: string[]): UpstreamTarget | null {
    if (provider) {
      const target = this.targetOf(provider, request);
      if (target) return target;
      reasons.push(`upstream: provider "${provider}" has no upstream for ${request.path}; using the path's default provider`);
    }
    const fallback = defaultProviderForPath(request.path, request.headers) ?? this.claimantOf(request.path);
    return fallback ? this.targetOf(fallback, request) : null;
  }

  private targetOf(provider: string, request: { path: string; search: string }): UpstreamTarget | null {
    const upstream = this.upstreamOf(provider);
    if (!upstream) return null;
    let base = this.parsedUpstreams.get(upstream);
    if (!base) {
      base = parseUpstreamBase(upstream);
      this.parsedUpstreams.set(upstream, base);
    }
    const mapUrl = this.definitions.get(provider)?.mapUrl;
    // A fresh copy for plugin code, so it cannot alter the cached URL.
    const url = mapUrl ? mapUrl(request, new URL(base.url)) : upstreamUrlFor(base, request.path, request.search);
    return url ? { provider, url, origin: base.url.origin } : null;
  }
}
