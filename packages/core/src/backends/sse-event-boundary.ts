import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Index just past the last blank line (the end of the last complete event) in `bytes`, or 0.
 * SSE lines end in CRLF, LF or CR (WHATWG HTML §9.2.6 "Parsing an event stream"), so an
 * event ends at `\n\n`, `\n\r\n` (incl. `\r\n\r\n`), or `\r\r`.
 */
export function lastEventEnd(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 1; i--) {
    const byte = bytes[i];
    if (byte === LF) {
      const before = bytes[i - 1];
      if (before === LF || (before === CR && i >= 2 && bytes[i - 2] === LF)) return i + 1;
    } else if (byte === CR && bytes[i - 1] === CR) {
      return i + 1;
    }
  }
  return 0;
}

/**
 * Relays an SSE body event by event: complete events pass at once (a chunk that ends on a
 * boundary passes untouched, with no copy), the incomplete tail of an event waits for the
 * rest. So when the upstream dies mid-stream, `endWithError` can end the client's stream
 * on a boundary followed by an error event, never inside a half event (ARCHITECTURE §7).
 * Only for identity-encoded bodies: compressed bytes have no visible boundaries.
 */
export class SseEventBoundary extends Transform {
  private tail: Buffer | null = null;
  private failed = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.failed) {
      callback(null, chunk);
      return;
    }
    const bytes = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    const end = lastEventEnd(bytes);
    if (end === bytes.length) {
      this.tail = null;
      callback(null, bytes);
      return;
    }
    this.tail = bytes.subarray(end);
    callback(null, end > 0 ? bytes.subarray(0, end) : undefined);
  }

  override _flush(callback: TransformCallback): void {
    // A clean end: whatever the upstream sent last is relayed as sent.
    if (this.tail && !this.failed) this.push(this.tail);
    this.tail = null;
    callback();
  }

  /** Drops the held incomplete event and ends the stream with `frame` (an `event: error`). */
  endWithError(frame: string): void {
    this.failed = true;
    this.tail = null;
    this.end(frame);
  }
}
