import { redactText } from '../log/redact';
import type { RouteDecision } from '../decision/route-decision';

const MAX_SESSION_LENGTH = 64;

/** Keeps a header-borne value printable and unable to break the `k=v; k=v` grammar. */
function token(value: string | null, maxLength = 128): string {
  if (!value) return 'none';
  const clean = redactText(value).replace(/[^\x21-\x7e]|[;=,]/g, '_');
  return clean.length > maxLength ? clean.slice(0, maxLength) : clean || 'none';
}

/**
 * The `x-tokenpak-route` value. Exact grammar (tests and tools parse it):
 * `platform=<name|none>; session=<id|none>; provider=<name|none>; source=<…>; class=<…>; backend=<…>; via=<…>`,
 * followed, when the request was served by a fallback (ARCHITECTURE §7), by one
 * `; fallback=<provider> (<trigger>)` per step (`fallbackNote`).
 */
export function formatRouteHeader(
  decision: Pick<RouteDecision, 'platform' | 'sessionId' | 'provider' | 'providerSource' | 'routeClass' | 'backend' | 'via'>,
): string {
  return (
    `platform=${token(decision.platform)}; session=${token(decision.sessionId, MAX_SESSION_LENGTH)}; ` +
    `provider=${token(decision.provider)}; source=${token(decision.providerSource)}; class=${decision.routeClass}; ` +
    `backend=${decision.backend}; via=${decision.via}`
  );
}

/** Parses the header back into its fields (for tools and tests). */
export function parseRouteHeader(value: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of value.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key) fields[key] = rest.join('=');
  }
  return fields;
}

/** The route-header field (and ledger reason) of one fallback step: `fallback=<provider> (<trigger>)`. */
export function fallbackNote(provider: string, trigger: string): string {
  return `fallback=${token(provider)} (${trigger})`;
}
