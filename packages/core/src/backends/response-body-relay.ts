import type { Readable, Writable } from 'node:stream';

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

/** Called with each upstream chunk once it is on its way to the client (or held as an event's tail). */
export type ChunkWatcher = (chunk: Buffer) => void;

/**
 * The response leg's pipe: upstream response → client response, with the same backpressure
 * as `Readable.pipe` (pause on a full sink, resume on `drain`), and one `data` listener per
 * response that also hands each chunk to `watch` (the idle deadline and the ledger meter) —
 * `pipe` plus a second listener cost ~8 listener registrations per response and a listener
 * array copy per chunk.
 *
 * `alignToEvents` (identity-encoded SSE): complete events pass at once (a chunk that ends on a
 * boundary passes untouched, with no copy), the incomplete tail of an event waits for the
 * rest. So when the upstream dies mid-stream, `endWithError` can end the client's stream on a
 * boundary followed by an error event, never inside a half event (ARCHITECTURE §7).
 * Otherwise (JSON, compressed bytes, which have no visible boundaries) every chunk passes as
 * it came.
 */
export class ResponseBodyRelay {
  /** Some bytes went to the client (a held partial event does not count). */
  relayedAny = false;
  private tail: Buffer | null = null;
  private stopped = false;
  private readonly onData = (chunk: Buffer): void => {
    this.relay(chunk);
    this.watch?.(chunk);
  };
  private readonly onDrain = (): void => {
    this.source.resume();
  };
  private readonly onEnd = (): void => {
    if (this.stopped) return;
    this.stop();
    // A clean end: whatever the upstream sent last is relayed as sent.
    const tail = this.tail;
    this.tail = null;
    if (tail) this.sink.end(tail);
    else this.sink.end();
  };

  constructor(
    private readonly source: Readable,
    private readonly sink: Writable,
    readonly alignToEvents: boolean,
    private readonly watch?: ChunkWatcher,
  ) {
    source.on('data', this.onData);
    source.once('end', this.onEnd);
    sink.on('drain', this.onDrain);
  }

  /** Stops relaying: later source chunks are not written (the upstream failed, or the client went away). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.sink.off('drain', this.onDrain);
  }

  /** Drops the held incomplete event and ends the client's stream with `frame` (an `event: error`). */
  endWithError(frame: string): void {
    this.stop();
    this.tail = null;
    this.sink.end(frame);
  }

  private relay(chunk: Buffer): void {
    let out: Buffer | null = chunk;
    if (this.alignToEvents) {
      const bytes = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
      const end = lastEventEnd(bytes);
      if (end === bytes.length) {
        this.tail = null;
        out = bytes;
      } else {
        this.tail = bytes.subarray(end);
        out = end > 0 ? bytes.subarray(0, end) : null;
      }
    }
    if (out === null) return;
    this.relayedAny = true;
    if (!this.sink.write(out)) this.source.pause();
  }
}
