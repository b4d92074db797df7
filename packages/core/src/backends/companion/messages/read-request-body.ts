import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ProxyError } from '../../../http/api-errors';
import { readBodyPrefix, type BodyPrefix } from '../../../http/read-body-prefix';

/** The body cannot be used; answer with `error`. */
export class RequestBodyError extends Error {
  constructor(readonly error: ProxyError) {
    super(error.message);
  }
}

/** The client went away before sending its whole body. */
export class ClientGoneError extends Error {}

const DECODERS: Readonly<Record<string, (input: Buffer, options: zlib.ZlibOptions | zlib.BrotliOptions) => Promise<Buffer>>> = {
  gzip: promisify<Buffer, zlib.ZlibOptions, Buffer>(zlib.gunzip),
  'x-gzip': promisify<Buffer, zlib.ZlibOptions, Buffer>(zlib.gunzip),
  deflate: promisify<Buffer, zlib.ZlibOptions, Buffer>(zlib.inflate),
  br: promisify<Buffer, zlib.BrotliOptions, Buffer>(zlib.brotliDecompress),
};

function tooLarge(limit: number): RequestBodyError {
  return new RequestBodyError({
    code: 'body_too_large',
    status: 413,
    type: 'request_too_large',
    message: `the request body is larger than the Claude companion accepts (${limit} bytes)`,
  });
}

/**
 * The whole request body, decoded: the companion must parse the conversation, so unlike
 * the byte-preserved forward it cannot stream it through. Bounded by `limit` before and
 * after decompression. `prefix` is what the data plane already read for inspection.
 */
export async function readRequestBody(incoming: IncomingMessage, prefix: Buffer | undefined, limit: number): Promise<Buffer> {
  const raw = await readRaw(incoming, prefix, limit);
  const encoding = String(incoming.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  const decode = DECODERS[encoding];
  if (!decode) {
    throw new RequestBodyError({
      code: 'unsupported_encoding',
      status: 415,
      type: 'invalid_request_error',
      message: `content-encoding "${encoding.slice(0, 40)}" is not supported by the Claude companion`,
    });
  }
  try {
    return await decode(raw, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new RequestBodyError({
      code: 'invalid_body',
      status: 400,
      type: 'invalid_request_error',
      message: `the ${encoding}-encoded request body could not be decoded`,
    });
  }
}

/** The raw body: the data plane's `prefix`, then the rest of the stream, at most `limit` bytes in all. */
async function readRaw(incoming: IncomingMessage, prefix: Buffer | undefined, limit: number): Promise<Buffer> {
  const held = prefix?.length ?? 0;
  if (held > limit) throw tooLarge(limit);
  const reading = readBodyPrefix(incoming, limit - held);
  // The data plane may have paused the stream after reading a prefix.
  incoming.resume();
  let rest: BodyPrefix;
  try {
    rest = await reading;
  } catch {
    throw new ClientGoneError('the client closed the request before sending its whole body');
  }
  if (!rest.complete) throw tooLarge(limit);
  return held > 0 ? Buffer.concat([prefix!, rest.bytes], held + rest.bytes.length) : rest.bytes;
}
