/**
 * Every header name TokenPak reads or writes, lower-cased, in one place.
 * Node lower-cases `IncomingMessage.headers`; WHATWG `Headers` is case-insensitive.
 */
export const HeaderName = {
  host: 'host',
  origin: 'origin',
  userAgent: 'user-agent',
  authorization: 'authorization',
  apiKey: 'x-api-key',
  cookie: 'cookie',
  setCookie: 'set-cookie',
  contentType: 'content-type',
  contentLength: 'content-length',
  contentEncoding: 'content-encoding',
  connection: 'connection',
  retryAfter: 'retry-after',
  anthropicVersion: 'anthropic-version',
  anthropicBeta: 'anthropic-beta',
  claudeCodeSessionId: 'x-claude-code-session-id',
  claudeCodeEntrypoint: 'x-claude-code-entrypoint',
  /** TokenPak's own control headers: never forwarded upstream. */
  tokenpakPrefix: 'x-tokenpak-',
  tokenpakProvider: 'x-tokenpak-provider',
  tokenpakBackend: 'x-tokenpak-backend',
  tokenpakAuth: 'x-tokenpak-auth',
  /** Response headers TokenPak adds. */
  tokenpakRequestId: 'x-tokenpak-request-id',
  tokenpakRoute: 'x-tokenpak-route',
  tokenpakError: 'x-tokenpak-error',
  /** A session header users configure in OpenClaw's provider entry; a control header, never forwarded. */
  openclawSession: 'x-openclaw-session',
} as const;

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the legacy ones proxies also drop. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
