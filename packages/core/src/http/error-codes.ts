/**
 * The catalogue of errors TokenPak itself makes (docs/ARCHITECTURE.md §9), in the manner of
 * Fastify's `FST_ERR_*` and undici's `UND_ERR_*`: a stable machine-readable code per cause.
 * Every TokenPak-made error — an HTTP answer, an SSE `event: error`, a refused WebSocket
 * upgrade, a control endpoint's refusal — carries its code as `error.code` in the caller's
 * API shape (OpenAI's body has that field; the Anthropic SDKs ignore the extra member) and
 * `x-tokenpak-error: 1`. Errors relayed from an upstream carry neither.
 *
 * Codes never change meaning once published; the README lists them. The status is the usual
 * one for the cause; a caller may override it only where the same cause has several statuses.
 */
export const ERROR_CATALOGUE = {
  // Requests TokenPak will not serve.
  not_served: { status: 404, summary: 'TokenPak does not serve this path' },
  no_provider: { status: 404, summary: 'no provider serves this path' },
  host_rejected: { status: 403, summary: 'the Host header is not a loopback name (DNS-rebinding guard)' },
  origin_rejected: { status: 403, summary: 'a browser Origin not in server.allowedOrigins' },
  auth_required: { status: 401, summary: 'missing or wrong x-tokenpak-auth on a non-loopback bind' },
  host_missing: { status: 400, summary: 'the request has no Host header' },
  // Requests that are malformed.
  bad_request: { status: 400, summary: 'the HTTP request could not be parsed' },
  invalid_body: { status: 400, summary: 'the request body is not what the endpoint accepts' },
  headers_too_large: { status: 431, summary: 'request headers over the server limit' },
  uri_too_long: { status: 414, summary: 'request line over the server limit' },
  body_too_large: { status: 413, summary: 'request body over what TokenPak accepts on this route' },
  unsupported_encoding: { status: 415, summary: 'a content-encoding TokenPak cannot decode on this route' },
  client_timeout: { status: 408, summary: 'the client stopped sending its request' },
  // Credentials.
  credential_unavailable: { status: 401, summary: 'the credential source the route needs has no usable login' },
  // Upstreams.
  upstream_unreachable: { status: 502, summary: 'the upstream could not be reached' },
  upstream_timeout: { status: 504, summary: 'the upstream did not answer (or stalled) within providers.<name>.timeouts' },
  upstream_truncated: { status: 502, summary: 'the upstream ended a response before it finished' },
  upstream_protocol_error: { status: 502, summary: 'the upstream broke HTTP (e.g. 101 to a request that asked for no upgrade)' },
  websocket_refused: { status: 400, summary: 'this route cannot be opened as a WebSocket' },
  // The Claude companion.
  companion_unavailable: { status: 502, summary: 'the claude CLI is missing or cannot be started' },
  companion_login: { status: 401, summary: 'the claude CLI is not logged in' },
  companion_failed: { status: 502, summary: 'the claude CLI failed or its output could not be used' },
  companion_timeout: { status: 504, summary: 'the claude CLI did not answer within companion.timeoutMs' },
  companion_busy: { status: 429, summary: 'companion.maxConcurrent runs and companion.maxQueue waiting' },
  companion_unsupported: { status: 400, summary: 'the request uses something the companion cannot carry' },
  // The ledger and TokenPak itself.
  ledger_off: { status: 503, summary: 'the request ledger is off (ledger.enabled: false)' },
  ledger_unavailable: { status: 503, summary: 'the request ledger did not answer in time' },
  internal_error: { status: 500, summary: 'a bug in TokenPak' },
} as const satisfies Readonly<Record<string, { status: number; summary: string }>>;

/** A stable TokenPak error code (a key of `ERROR_CATALOGUE`). */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;
