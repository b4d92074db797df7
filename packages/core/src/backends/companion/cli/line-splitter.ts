/**
 * Splits a byte stream into lines, handing each complete line over as soon as its
 * newline arrives (so streamed text is relayed without waiting for more output).
 * Splitting happens on bytes, so a multi-byte character cut across chunks is intact.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    /** A line longer than this is a protocol error, not something to buffer forever. */
    private readonly maxLineBytes: number,
  ) {}

  /** Feeds a chunk; throws when a line exceeds the limit. */
  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(0x0a, start);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const line = this.pendingBytes > 0 ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      this.onLine(line.toString('utf8'));
      start = newline + 1;
      newline = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxLineBytes) throw new Error(`a line of CLI output exceeded ${this.maxLineBytes} bytes`);
      this.pending.push(rest);
    }
  }

  /** The last line, when the output did not end with a newline. */
  end(): void {
    if (this.pendingBytes === 0) return;
    const line = Buffer.concat(this.pending).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.onLine(line);
  }
}
