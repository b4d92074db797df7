import { HeaderName } from '../http/header-names';
import { redactHeaderValue } from '../log/redact';

/** Headers whose values matter for routing: shown in dumps (non-secret ones in clear). */
const ROUTING_RELEVANT = new Set<string>([
  HeaderName.userAgent,
  HeaderName.anthropicVersion,
  HeaderName.anthropicBeta,
  HeaderName.claudeCodeSessionId,
  HeaderName.claudeCodeEntrypoint,
  HeaderName.tokenpakProvider,
  HeaderName.tokenpakBackend,
  HeaderName.openclawSession,
  HeaderName.contentType,
  HeaderName.contentEncoding,
  'x-app',
  'originator',
  'session-id',
  'session_id',
]);

/**
 * One line describing what a client really sent: every header name, the values of the
 * routing-relevant ones, `<redacted:N>` for credentials. Never prints a secret.
 */
export function describeHeaders(headers: Headers): string {
  const parts: string[] = [];
  headers.forEach((value, name) => {
    if (name === HeaderName.authorization || name === HeaderName.apiKey || name === HeaderName.cookie) {
      parts.push(`${name}=${redactHeaderValue(name, value)}`);
    } else if (ROUTING_RELEVANT.has(name)) {
      parts.push(`${name}=${JSON.stringify(redactHeaderValue(name, value))}`);
    } else {
      parts.push(`${name}=${redactHeaderValue(name, value) === value ? '…' : redactHeaderValue(name, value)}`);
    }
  });
  return parts.join(' ');
}
