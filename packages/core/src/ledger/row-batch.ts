/**
 * Ledger rows as they travel to the writer thread: one ArrayBuffer per batch, *transferred*
 * (not cloned) with `postMessage`, plus the batch's string table. A row is a few numbers and
 * references to strings that repeat (method, path, provider, reasons…), so each distinct
 * string is sent once per batch and the structured clone sees one small array of strings
 * instead of 64 arrays of 26 values; the main thread allocates nothing per row.
 *
 * Layout for a buffer of `capacity` rows (`capacity = byteLength / ROW_BYTES`):
 *
 *   [0, capacity·88)            Float64 × NUMBER_SLOTS per row: the number columns (NumberColumn)
 *   [capacity·88, capacity·152) Uint32 × REF_SLOTS per row: the string columns as indices into
 *                               `strings` (StringColumn), then the row's null bits (NULL_WORD)
 *
 * A null is a bit, never a sentinel value: every float64 (integers up to 2^53, NaN, -0)
 * round-trips as itself, and an empty string is an ordinary string.
 */

/** The number columns: one Float64 slot each. */
export const NumberColumn = {
  startedAt: 0,
  status: 1,
  ttfbMs: 2,
  totalMs: 3,
  bytesIn: 4,
  bytesOut: 5,
  inputTokens: 6,
  outputTokens: 7,
  cacheReadTokens: 8,
  cacheWriteTokens: 9,
  costUsd: 10,
} as const;
export const NUMBER_SLOTS = 11;

/** The string columns: one Uint32 slot each, an index into the batch's `strings`. */
export const StringColumn = {
  requestId: 0,
  method: 1,
  path: 2,
  platform: 3,
  sessionId: 4,
  provider: 5,
  providerSource: 6,
  routeClass: 7,
  backend: 8,
  via: 9,
  credentialSource: 10,
  upstream: 11,
  reasonsJson: 12,
  model: 13,
  errorType: 14,
} as const;
const STRING_SLOTS = 15;

/** The Uint32 slot after the string references: bit `numberNullBit(c)` / `stringNullBit(c)` set means the column is null. */
export const NULL_WORD = STRING_SLOTS;
/** Uint32 slots per row: the string references and the null bits. */
export const REF_SLOTS = STRING_SLOTS + 1;

export const ROW_BYTES = NUMBER_SLOTS * Float64Array.BYTES_PER_ELEMENT + REF_SLOTS * Uint32Array.BYTES_PER_ELEMENT;

export const numberNullBit = (column: number): number => 1 << column;
export const stringNullBit = (column: number): number => 1 << (NUMBER_SLOTS + column);

/** What the proxy posts to the writer thread for each batch (`buffer` goes in the transfer list). */
export interface RowBatch {
  /** Rows in use, from the start of the buffer. */
  rows: number;
  /** `capacity × ROW_BYTES` bytes, laid out as above. */
  buffer: ArrayBuffer;
  /** The strings the rows refer to, each distinct value once. */
  strings: string[];
}

/** Typed views of a batch buffer: `numbers[row·NUMBER_SLOTS + column]`, `refs[row·REF_SLOTS + column]`. */
export interface RowBatchViews {
  capacity: number;
  numbers: Float64Array;
  refs: Uint32Array;
}

export function rowBatchViews(buffer: ArrayBuffer): RowBatchViews {
  const capacity = Math.floor(buffer.byteLength / ROW_BYTES);
  const numbersBytes = capacity * NUMBER_SLOTS * Float64Array.BYTES_PER_ELEMENT;
  return {
    capacity,
    numbers: new Float64Array(buffer, 0, capacity * NUMBER_SLOTS),
    refs: new Uint32Array(buffer, numbersBytes, capacity * REF_SLOTS),
  };
}

/** A zeroed buffer for `capacity` rows. */
export function rowBatchBuffer(capacity: number): ArrayBuffer {
  return new ArrayBuffer(capacity * ROW_BYTES);
}

/**
 * Removes the batch's first `count` rows in place (a queue over its bound drops its oldest
 * rows). The strings they alone used stay in the table, unreferenced: this only happens on
 * overflow, where a few extra strings do not matter.
 */
export function dropOldestRows(batch: RowBatch, count: number): void {
  const dropped = Math.min(Math.max(count, 0), batch.rows);
  if (dropped === 0) return;
  const { numbers, refs } = rowBatchViews(batch.buffer);
  numbers.copyWithin(0, dropped * NUMBER_SLOTS, batch.rows * NUMBER_SLOTS);
  refs.copyWithin(0, dropped * REF_SLOTS, batch.rows * REF_SLOTS);
  batch.rows -= dropped;
}
