/**
 * The one redaction helper: every place that prints a header value, an error or a
 * config value goes through here, so a token or key never reaches a log, an error
 * body, `status`, or a dry run.
 */

/** Header names whose values are always secret. */
const SECRET_HEADER_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'set-cookie',
  'x-tokenpak-auth',
  'chatgpt-account-id',
]);

/** Name fragments that make a header or config key credential-like. */
const SECRET_NAME_PATTERN = /(auth|token|secret|password|passwd|api[-_]?key|cookie|credential|session[-_]?key)/i;

/** Token shapes that are secret wherever they appear in free text. */
const SECRET_VALUE_PATTERN =
  /\b(?:sk-[A-Za-z0-9_-]{6,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?|(?:ghp|gho|github_pat|xox[abp])_[A-Za-z0-9_]{8,})/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
/** `scheme://user:password@host`: the userinfo part of a URL (RFC 3986 §3.2.1). */
const URL_USERINFO_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/gi;

export function redactedPlaceholder(value: string): string {
  return `<redacted:${value.length}>`;
}

export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADER_NAMES.has(lower) || SECRET_NAME_PATTERN.test(lower);
}

/** A header value as it may be shown to a human. */
export function redactHeaderValue(name: string, value: string): string {
  if (isSecretHeader(name)) return redactedPlaceholder(value);
  return redactText(value);
}

/** Masks anything token-shaped inside free text (error messages, stderr heads). */
export function redactText(text: string): string {
  return text
    .replace(URL_USERINFO_PATTERN, (_match, scheme: string) => `${scheme}<redacted>@`)
    .replace(BEARER_PATTERN, (_match, scheme: string) => `${scheme} <redacted>`)
    .replace(SECRET_VALUE_PATTERN, (match) => redactedPlaceholder(match));
}

/** A deep copy of a config-like value with credential-like keys masked. */
export function redactObject<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => redactObject(item)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] =
        typeof item === 'string' && SECRET_NAME_PATTERN.test(key) && !/(file|path|dir|credentials)$/i.test(key)
          ? redactedPlaceholder(item)
          : redactObject(item);
    }
    return out as T;
  }
  if (typeof value === 'string') return redactText(value) as T;
  return value;
}
