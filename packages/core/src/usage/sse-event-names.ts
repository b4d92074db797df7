/**
 * The SSE event names a reader expects, matched on the bytes of an `event:` line.
 *
 * A stream repeats a handful of names (an Anthropic answer is ~90% `content_block_delta`),
 * so decoding each `event:` value into a fresh string, then hashing that string for a map
 * lookup, is most of what reading a stream's names costs. A listed name comes back as the
 * one string built here (its hash cached by V8); anything else is decoded as before, so
 * the table changes speed, never results.
 */
export class SseEventNames {
  /** Listed names as bytes, bucketed by byte length: a lookup compares only same-length names. */
  private readonly byLength: ReadonlyArray<ReadonlyArray<{ name: string; bytes: Buffer }> | undefined>;

  constructor(names: Iterable<string>) {
    const byLength: Array<Array<{ name: string; bytes: Buffer }> | undefined> = [];
    for (const name of new Set(names)) {
      const bytes = Buffer.from(name, 'utf8');
      (byLength[bytes.length] ??= []).push({ name, bytes });
    }
    this.byLength = byLength;
  }

  /** The name in `chunk[start, end)`: the listed string when it is one, else the decoded bytes (UTF-8). */
  nameAt(chunk: Buffer, start: number, end: number): string {
    const candidates = this.byLength[end - start];
    if (candidates !== undefined) {
      for (const { name, bytes } of candidates) if (sameBytes(chunk, start, bytes)) return name;
    }
    return chunk.toString('utf8', start, end);
  }
}

function sameBytes(chunk: Buffer, start: number, bytes: Buffer): boolean {
  // Names are short: a loop beats a native compare call. Compared from the end, where
  // names sharing a prefix (`content_block_…`, `response.…`) differ.
  for (let k = bytes.length - 1; k >= 0; k--) if (chunk[start + k] !== bytes[k]) return false;
  return true;
}
