import type { PlatformMatch } from '../bridge/types';
import { HeaderName } from '../http/header-names';
import { Provider, type ProviderResolution } from '../decision/route-decision';

/** `X-TokenPak-Backend` values that name a provider (§2.2 rule 2). */
const BACKEND_HEADER_PROVIDERS: Readonly<Record<string, string>> = {
  'claude-code': Provider.claudeCode,
  oauth: Provider.claudeCode,
  api: Provider.anthropic,
};

/** Trimmed header value; blank counts as absent. */
export function headerValue(headers: Headers, name: string): string | null {
  const value = headers.get(name)?.trim();
  return value ? value : null;
}

/** Normalised `X-TokenPak-Backend` (trimmed, lower-cased) or null. */
export function backendHeader(headers: Headers): string | null {
  return headerValue(headers, HeaderName.tokenpakBackend)?.toLowerCase() ?? null;
}

/**
 * Provider precedence (§2.2), highest first: `X-TokenPak-Provider` > `X-TokenPak-Backend`
 * alias > first matching platform signal > none. Platform and session come from the
 * signal match whichever rule decided the provider.
 */
export function resolveProvider(headers: Headers, match: PlatformMatch | null, reasons: string[]): ProviderResolution {
  const platform = match?.origin.platform ?? null;
  const sessionId = match?.origin.sessionId?.trim() || null;
  if (match) reasons.push(`platform: signal "${match.signal.name}" matched (platform=${platform}${sessionId ? ', session found' : ''})`);

  const explicit = headerValue(headers, HeaderName.tokenpakProvider);
  if (explicit) {
    reasons.push(`provider: X-TokenPak-Provider names "${explicit}"`);
    return { platform, sessionId, provider: explicit, providerSource: 'header' };
  }
  const backend = backendHeader(headers);
  const alias = backend ? BACKEND_HEADER_PROVIDERS[backend] : undefined;
  if (alias) {
    reasons.push(`provider: X-TokenPak-Backend "${backend}" means ${alias}`);
    return { platform, sessionId, provider: alias, providerSource: 'backend-header' };
  }
  if (match) {
    const declared = match.origin.declaredProvider?.trim();
    const provider = declared || match.signal.defaultProvider;
    if (provider) {
      const rule = declared
        ? `declared by the origin${match.origin.providerRule ? ` (${match.origin.providerRule})` : ''}`
        : `default of signal "${match.signal.name}"`;
      reasons.push(`provider: ${rule}: ${provider}`);
      return { platform, sessionId, provider, providerSource: `signal:${match.signal.name}` };
    }
    reasons.push(`provider: none (signal "${match.signal.name}" names the platform only; the caller's identity is kept)`);
    return { platform, sessionId, provider: null, providerSource: 'none' };
  }
  reasons.push('provider: none (no header, no signal matched)');
  return { platform, sessionId, provider: null, providerSource: 'none' };
}
