import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { JsonBodyUsage } from './json-body-usage';
import type { BodyUsageReader, ResponseObservation } from './response-observation';
import { SseBodyUsage } from './sse-body-usage';

/** A compressed answer is decoded (a copy, for reading only) up to this many bytes; past that its usage stays unknown. */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;
/** How long the ledger waits for the decoder to drain after the body ended. */
const DECODE_SETTLE_MS = 2000;

const NOTHING: ResponseObservation = { model: null, usage: null, errorType: null };

function readerFor(contentType: string): BodyUsageReader | null {
  const type = contentType.toLowerCase();
  if (type.includes('text/event-stream')) return new SseBodyUsage();
  if (type.includes('json')) return new JsonBodyUsage();
  return null;
}

function decoderFor(contentEncoding: string): Transform | null | 'unsupported' {
  const encoding = contentEncoding.trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return null;
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  if (encoding === 'br') return zlib.createBrotliDecompress();
  return 'unsupported';
}

/**
 * Watches a response body go by and reports the model, token usage and error type in
 * it. It only ever sees copies of chunks already handed on to the client, holds no body,
 * and never throws: a body it cannot read ends with nothing observed. A compressed body
 * is decoded on zlib's thread pool, so the result can settle a little after the end.
 */
export class ResponseUsageTap {
  private ended = false;
  private settled = false;
  private decodedBytes = 0;
  private readonly waiting: Array<() => void> = [];

  private constructor(
    private readonly reader: BodyUsageReader,
    private readonly decoder: Transform | null,
  ) {
    if (decoder) {
      decoder.on('data', (chunk: Buffer) => {
        this.decodedBytes += chunk.length;
        if (this.decodedBytes > MAX_DECODED_BYTES) this.settle();
        else reader.push(chunk);
      });
      decoder.once('end', () => this.settle());
      decoder.once('error', () => this.settle());
    }
  }

  /** A tap for this response, or null when its type or encoding is not one usage can be read from. */
  static for(contentType: string | undefined, contentEncoding: string | undefined): ResponseUsageTap | null {
    const reader = readerFor(contentType ?? '');
    if (!reader) return null;
    const decoder = decoderFor(contentEncoding ?? '');
    if (decoder === 'unsupported') return null;
    return new ResponseUsageTap(reader, decoder);
  }

  push(chunk: Buffer): void {
    if (this.settled) return;
    try {
      if (this.decoder) this.decoder.write(chunk);
      else this.reader.push(chunk);
    } catch {
      this.settle();
    }
  }

  end(): void {
    if (this.ended || this.settled) return;
    this.ended = true;
    try {
      this.reader.end();
    } catch {
      // a reader failure only means less is known
    }
    if (this.decoder) this.decoder.end();
    else this.settle();
  }

  /** Calls back once everything pushed has been read (at once if the body never ended: the client or upstream went away). */
  whenSettled(callback: () => void): void {
    if (this.settled) return callback();
    if (!this.ended) {
      this.settle();
      return callback();
    }
    this.waiting.push(callback);
    setTimeout(() => this.settle(), DECODE_SETTLE_MS).unref();
  }

  observation(): ResponseObservation {
    try {
      return this.reader.observation();
    } catch {
      return NOTHING;
    }
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.decoder) {
      this.decoder.removeAllListeners('data');
      this.decoder.on('error', () => undefined);
      this.decoder.destroy();
    }
    this.waiting.splice(0).forEach((callback) => callback());
  }
}
