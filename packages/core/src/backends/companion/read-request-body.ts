import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ProxyError } from '../../server/api-errors';

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
  return new RequestBodyError({ status: 413, type: 'request_too_large', message: `the request body is larger than the Claude companion accepts (${limit} bytes)` });
}

/**
 * The whole request body, decoded: the companion must parse the conversation, so unlike
 * the byte-preserved forward it cannot stream it through. Bounded by `limit` before and
 * after decompression. `prefix` is what the data plane already read for inspection.
 */
export async function readRequestBody(incoming: IncomingMessage, prefix: Buffer | undefined, limit: number): Promise<Buffer> {
  const raw = await readRaw(incoming, prefix, limit);
  const encoding = String(incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  const decode = DECODERS[encoding];
  if (!decode) {
    throw new RequestBodyError({ status: 415, type: 'invalid_request_error', message: `content-encoding "${encoding.slice(0, 40)}" is not supported by the Claude companion` });
  }
  try {
    return await decode(raw, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new RequestBodyError({ status: 400, type: 'invalid_request_error', message: `the ${encoding}-encoded request body could not be decoded` });
  }
}

function readRaw(incoming: IncomingMessage, prefix: Buffer | undefined, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = prefix && prefix.length > 0 ? [prefix] : [];
  let size = prefix?.length ?? 0;
  if (size > limit) return Promise.reject(tooLarge(limit));
  if (incoming.readableEnded) return Promise.resolve(Buffer.concat(chunks, size));
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onGone);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        incoming.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      reject(new ClientGoneError('the client closed the request before sending its whole body'));
    };
    const onClose = (): void => {
      if (!incoming.complete) onGone();
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onGone);
    incoming.on('close', onClose);
    // The data plane may have paused the stream after reading a prefix.
    incoming.resume();
  });
}
