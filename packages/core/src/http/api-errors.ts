import type { ServerResponse } from 'node:http';
import { HeaderName } from './header-names';
import { ANTHROPIC_ERROR_TYPES } from './anthropic-error-types';
import { redactText } from '../log/redact';

/** Which API's error format the caller understands. */
export type ApiShape = 'anthropic' | 'openai';

/** Anthropic error JSON on `/v1/messages*` (and Anthropic-versioned calls), OpenAI's elsewhere on the data plane. */
export function apiShapeFor(path: string, headers: Headers | { has(name: string): boolean }): ApiShape {
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
  if (path.startsWith('/v1/') || path.startsWith('/backend-api/')) return headers.has(HeaderName.anthropicVersion) ? 'anthropic' : 'openai';
  return 'anthropic';
}

const OPENAI_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

export interface ProxyError {
  status: number;
  message: string;
  /** Overrides the type derived from the status. */
  type?: string;
  /** OpenAI `code` (machine-readable reason). */
  code?: string;
}

/** A proxy-made error in the caller's API shape. The message is redacted. */
export function apiErrorBody(shape: ApiShape, error: ProxyError): string {
  const message = redactText(error.message);
  if (shape === 'anthropic') {
    const type = error.type ?? ANTHROPIC_ERROR_TYPES[error.status] ?? 'api_error';
    return JSON.stringify({ type: 'error', error: { type, message } });
  }
  const type = error.type ?? OPENAI_TYPES[error.status] ?? 'server_error';
  return JSON.stringify({ error: { message, type, param: null, code: error.code ?? null } });
}

/** An SSE `event: error` frame in the caller's format, for failures after a stream started. */
export function apiErrorEvent(shape: ApiShape, error: ProxyError): string {
  // The leading blank line terminates any event the upstream left half-written.
  return `\n\nevent: error\ndata: ${apiErrorBody(shape, error)}\n\n`;
}

/** Writes a complete error response on a raw Node response (data plane). */
export function writeApiError(
  outgoing: ServerResponse,
  shape: ApiShape,
  error: ProxyError,
  extraHeaders: Record<string, string> = {},
): void {
  if (outgoing.headersSent || outgoing.destroyed) return;
  const body = apiErrorBody(shape, error);
  outgoing.writeHead(error.status, {
    ...extraHeaders,
    [HeaderName.contentType]: 'application/json',
    [HeaderName.contentLength]: String(Buffer.byteLength(body)),
    [HeaderName.tokenpakError]: '1',
  });
  outgoing.end(body);
}
