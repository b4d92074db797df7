import { redactText } from '../log/redact';
import type { RouteDecision } from '../decision/route-decision';

const MAX_SESSION_LENGTH = 64;

/** Keeps a header-borne value printable and unable to break the `k=v; k=v` grammar. */
function token(value: string | null, maxLength = 128): string {
  if (!value) return 'none';
  const clean = redactText(value).replace(/[^\x21-\x7e]|[;=,]/g, '_');
  return clean.length > maxLength ? clean.slice(0, maxLength) : clean || 'none';
}

type RouteHeaderFields = Pick<RouteDecision, 'platform' | 'sessionId' | 'provider' | 'providerSource' | 'routeClass' | 'backend' | 'via'>;

/**
 * The `x-tokenpak-route` value. Exact grammar (tests and tools parse it):
 * `platform=<name|none>; session=<id|none>; provider=<name|none>; source=<…>; class=<…>; backend=<…>; via=<…>`,
 * followed, when the request was served by a fallback (ARCHITECTURE §7), by one
 * `; fallback=<provider> (<trigger>)` per step (`fallbackNote`). `clean` makes a value header-safe (`token`).
 */
export function formatRouteHeader(decision: RouteHeaderFields, clean: (value: string | null, maxLength?: number) => string = token): string {
  return (
    `platform=${clean(decision.platform)}; session=${clean(decision.sessionId, MAX_SESSION_LENGTH)}; ` +
    `provider=${clean(decision.provider)}; source=${clean(decision.providerSource)}; class=${decision.routeClass}; ` +
    `backend=${decision.backend}; via=${decision.via}`
  );
}

/** Values whose header form a `RouteHeaderFormatter` remembers. */
const MAX_REMEMBERED_TOKENS = 512;

/**
 * `formatRouteHeader` for the data plane, which formats one header per request: redaction
 * is a dozen regular expressions, and the values repeat (platforms, providers and sources
 * always; sessions for a conversation's length), so each distinct value is cleaned once
 * and remembered (bounded; same input, same output).
 */
export class RouteHeaderFormatter {
  private readonly cleaned = new Map<string, string>();
  private readonly remembered = (value: string | null, maxLength = 128): string => {
    if (!value) return 'none';
    const key = maxLength === 128 ? value : `${maxLength}\u0000${value}`;
    let cleaned = this.cleaned.get(key);
    if (cleaned === undefined) {
      cleaned = token(value, maxLength);
      if (this.cleaned.size >= MAX_REMEMBERED_TOKENS) this.cleaned.clear();
      this.cleaned.set(key, cleaned);
    }
    return cleaned;
  };

  format(decision: RouteHeaderFields): string {
    return formatRouteHeader(decision, this.remembered);
  }
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
