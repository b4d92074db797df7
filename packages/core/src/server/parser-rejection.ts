import type { Duplex } from 'node:stream';
import { apiErrorBody, apiShapeFor } from '../http/api-errors';
import type { ErrorCode } from '../http/error-codes';
import { HeaderName } from '../http/header-names';
import { writeSocketHead } from '../http/socket-response';

/** Node's parser error codes (llhttp `HPE_*`, `ERR_HTTP_*`) → the status answered. */
function statusFor(code: string | undefined, rawPacket: Buffer | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      // The limit counts the request line too: a packet whose first line never ended is a URI too long.
      return rawPacket && /^[A-Z]+ \S/.test(rawPacket.subarray(0, 16).toString('latin1')) && !rawPacket.includes(0x0a) ? 414 : 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

const CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  408: 'client_timeout',
  413: 'body_too_large',
  414: 'uri_too_long',
  431: 'headers_too_large',
};

const MESSAGES: Readonly<Record<number, string>> = {
  400: 'TokenPak could not parse the request (malformed HTTP)',
  408: 'the request took too long to arrive',
  413: 'the request body framing is too large',
  414: 'the request URL is too long',
  431: 'the request headers are too large',
};

/** What of the request the packet shows: its path and whether it speaks Anthropic's API (for the error shape). */
function shapeOf(rawPacket: Buffer | undefined): ReturnType<typeof apiShapeFor> {
  if (!rawPacket) return 'anthropic';
  const text = rawPacket.subarray(0, 8192).toString('latin1');
  const target = /^[A-Z]+ (\/[^ ?\r\n]*)/.exec(text)?.[1] ?? '/';
  const anthropic = /\r\nanthropic-version:/i.test(text);
  return apiShapeFor(target, { has: (name) => name === HeaderName.anthropicVersion && anthropic });
}

type ClientSocket = Duplex & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * The server's `clientError` listener (ARCHITECTURE §7): a request Node's parser rejected
 * (headers over the limit, a URL too long, bad framing) gets a JSON error in the caller's
 * API shape with `x-tokenpak-error: 1` instead of Node's bare `400`, when the socket can still
 * take it; otherwise the socket is destroyed. Never throws.
 */
export function answerParserRejection(error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): number | null {
  const client = socket as ClientSocket;
  // Like Node's own handler: nothing can be written on a reset socket or over a response already started.
  if (error.code === 'ECONNRESET' || !socket.writable || client._httpMessage?.headersSent) {
    socket.destroy();
    return null;
  }
  const status = statusFor(error.code, error.rawPacket);
  // Every one of these is the request's fault: the invalid-request type in both APIs.
  const body = apiErrorBody(shapeOf(error.rawPacket), {
    code: CODES[status] ?? 'bad_request',
    status,
    message: MESSAGES[status] ?? MESSAGES[400]!,
    type: 'invalid_request_error',
  });
  writeSocketHead(socket, status, undefined, [
    HeaderName.contentType,
    'application/json',
    HeaderName.contentLength,
    String(Buffer.byteLength(body)),
    HeaderName.tokenpakError,
    '1',
    HeaderName.connection,
    'close',
  ]);
  socket.end(body);
  return status;
}
