/**
 * Where WebSocket frames end in a byte stream (RFC 6455 §5.2), so TokenPak can put a close
 * frame of its own on the wire between two frames (shutdown) and never inside one. It only
 * reads frame headers to count lengths; messages are read by `ws`'s Receiver (ws-framing.ts).
 */
export class FrameBoundary {
  /** Header bytes of the frame being read, while its header is incomplete. */
  private header: Buffer | null = null;
  /** Bytes of the current frame (payload) still to come. */
  private remaining = 0;

  /** True between two frames. */
  get atBoundary(): boolean {
    return this.header === null && this.remaining === 0;
  }

  /** Moves over all of `chunk`. */
  advance(chunk: Buffer): void {
    this.consume(chunk, false);
  }

  /**
   * How many leading bytes of `chunk` finish the frame in progress (0 when between frames),
   * having moved over them; -1 when the frame continues past the chunk (then all of it was read).
   */
  untilBoundary(chunk: Buffer): number {
    return this.consume(chunk, true);
  }

  private consume(chunk: Buffer, stopAtBoundary: boolean): number {
    let offset = 0;
    for (;;) {
      if (stopAtBoundary && this.atBoundary) return offset;
      if (offset >= chunk.length) return stopAtBoundary ? -1 : offset;
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= take;
        offset += take;
        continue;
      }
      // A header whose bytes are all in this chunk (the usual case) is read in place.
      if (this.header === null && offset + 2 <= chunk.length) {
        const length = headerLength(chunk[offset + 1]!);
        if (offset + length <= chunk.length) {
          this.remaining = payloadLength(chunk, offset);
          offset += length;
          continue;
        }
      }
      // A header split across chunks: hold its bytes until it is whole.
      const held = this.header ?? Buffer.alloc(0);
      const needed = held.length < 2 ? 2 : headerLength(held[1]!);
      const take = Math.min(needed - held.length, chunk.length - offset);
      this.header = Buffer.concat([held, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length < 2 || this.header.length < headerLength(this.header[1]!)) continue;
      this.remaining = payloadLength(this.header, 0);
      this.header = null;
    }
  }
}

/** Header length from its second byte: 2, plus the extended length (2 or 8), plus the mask key (4). */
function headerLength(second: number): number {
  const length7 = second & 0x7f;
  return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}

function payloadLength(bytes: Buffer, at: number): number {
  const length7 = bytes[at + 1]! & 0x7f;
  if (length7 === 126) return bytes.readUInt16BE(at + 2);
  if (length7 === 127) return Number(bytes.readBigUInt64BE(at + 2));
  return length7;
}
