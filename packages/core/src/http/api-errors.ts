import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { endSocketWithResponse } from './socket-response';
import { HeaderName } from './header-names';
import { ANTHROPIC_ERROR_TYPES } from './anthropic-error-types';
import { redactText } from '../log/redact';
import { ERROR_CATALOGUE, type ErrorCode } from './error-codes';

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

/** An error TokenPak itself makes (never an upstream's, which is relayed as it came). */
export interface ProxyError {
  /** The stable cause, from the catalogue (`http/error-codes.ts`); sent as `error.code` in both shapes. */
  code: ErrorCode;
  status: number;
  message: string;
  /** Overrides the type derived from the status. */
  type?: string;
}

/** A `ProxyError` with the catalogue's status for its code. */
export function proxyError(code: ErrorCode, message: string, type?: string): ProxyError {
  return { code, status: ERROR_CATALOGUE[code].status, message, ...(type ? { type } : {}) };
}

/**
 * The one error responder's body (docs/ARCHITECTURE.md §9): a TokenPak-made error in the caller's API shape —
 * Anthropic `{"type":"error","error":{type,message,code}}`, OpenAI `{"error":{message,type,param,code}}`.
 * The message is redacted.
 */
export function apiErrorBody(shape: ApiShape, error: ProxyError): string {
  const message = redactText(error.message);
  if (shape === 'anthropic') {
    const type = error.type ?? ANTHROPIC_ERROR_TYPES[error.status] ?? 'api_error';
    return JSON.stringify({ type: 'error', error: { type, message, code: error.code } });
  }
  const type = error.type ?? OPENAI_TYPES[error.status] ?? 'server_error';
  return JSON.stringify({ error: { message, type, param: null, code: error.code } });
}

/** An SSE `event: error` frame in the caller's format, for failures after a stream started. */
export function apiErrorEvent(shape: ApiShape, error: ProxyError): string {
  // The leading blank line terminates any event the upstream left half-written.
  return `\n\nevent: error\ndata: ${apiErrorBody(shape, error)}\n\n`;
}

/** Writes a complete error response on a raw Node response (data plane). */
export function writeApiError(outgoing: ServerResponse, shape: ApiShape, error: ProxyError, extraHeaders: Record<string, string> = {}): void {
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

/** Flat headers every TokenPak-made JSON error carries (besides the caller's request id and route). */
export const API_ERROR_HEADERS: readonly string[] = [HeaderName.contentType, 'application/json', HeaderName.tokenpakError, '1'];

/** Answers on a raw socket (an upgrade refused, a request the HTTP parser rejected) and closes it. */
export function endSocketWithApiError(socket: Duplex, shape: ApiShape, error: ProxyError, flatHeaders: readonly string[] = []): void {
  endSocketWithResponse(socket, error.status, [...flatHeaders, ...API_ERROR_HEADERS], apiErrorBody(shape, error));
}
