import type { LedgerEntry } from './ledger-row';
import {
  NULL_WORD,
  NUMBER_SLOTS,
  NumberColumn,
  REF_SLOTS,
  StringColumn,
  numberNullBit,
  rowBatchBuffer,
  rowBatchViews,
  stringNullBit,
  type RowBatch,
} from './row-batch';

const STRING_COLUMNS = Object.keys(StringColumn).length;
/**
 * Distinct values per string column a batch recognises. A column's values repeat across a
 * batch (a few paths, providers, reason lists); past this many in one batch a value is
 * added to the table again, which costs a few bytes on the wire and nothing here.
 */
const RECENT_PER_COLUMN = 16;

/**
 * Writes ledger entries straight into a batch buffer (layout in `row-batch.ts`): no per-row
 * array or object on the proxy's thread, only typed-array stores and, for a string not yet
 * in this batch, one table entry. `take()` hands the rows over and starts the next batch in
 * a fresh buffer (the old one is transferred to the writer thread and detached here).
 *
 * Strings are recognised by comparing them with the column's recent values, not through a
 * Map: this object lives for the proxy's lifetime, so its Map would be in the old
 * generation, and V8 allocates a cleared or growing old Map's new hash table in the old
 * generation too. Cleared once per batch, such a Map grew the old space steadily (about
 * 40 bytes per row at 4 000 rows/s, measured); these fixed arrays allocate nothing.
 */
export class RowBatchEncoder {
  private buffer: ArrayBuffer | null = null;
  private numbers: Float64Array = new Float64Array(0);
  private refs: Uint32Array = new Uint32Array(0);
  private strings: string[] = [];
  private count = 0;
  /** Per string column, up to RECENT_PER_COLUMN values of this batch (`column × RECENT_PER_COLUMN + i`) and their table indices. */
  private readonly recentStrings: Array<string | undefined> = new Array<string | undefined>(STRING_COLUMNS * RECENT_PER_COLUMN).fill(undefined);
  private readonly recentRefs = new Uint32Array(STRING_COLUMNS * RECENT_PER_COLUMN);
  /** Per string column, how many recent slots this batch has filled. */
  private readonly recentCount = new Uint8Array(STRING_COLUMNS);
  /** Per string column, the slot a new value replaces once all are filled (round robin). */
  private readonly nextRecent = new Uint8Array(STRING_COLUMNS);

  /** @param capacity rows per batch; `append` throws past it (the recorder takes the batch when it is full). */
  constructor(readonly capacity: number) {}

  /** Rows written since the last `take()`. */
  get rows(): number {
    return this.count;
  }

  /**
   * Appends one row. `reasonsJson` is the entry's reasons as stored (redacted JSON), `costUsd`
   * its price in US dollars, null when unknown.
   */
  append(entry: LedgerEntry, reasonsJson: string, costUsd: number | null): void {
    if (this.count === this.capacity) throw new RangeError(`a ledger row batch holds at most ${this.capacity} rows`);
    if (this.buffer === null) this.startBuffer();
    const numbers = this.numbers;
    const n = this.count * NUMBER_SLOTS;
    const r = this.count * REF_SLOTS;
    const { usage } = entry;
    let nulls = 0;

    numbers[n + NumberColumn.startedAt] = entry.startedAt;
    nulls |= this.putNumber(n, NumberColumn.status, entry.status);
    nulls |= this.putNumber(n, NumberColumn.ttfbMs, entry.ttfbMs);
    numbers[n + NumberColumn.totalMs] = entry.totalMs;
    nulls |= this.putNumber(n, NumberColumn.bytesIn, entry.bytesIn);
    nulls |= this.putNumber(n, NumberColumn.bytesOut, entry.bytesOut);
    if (usage) {
      numbers[n + NumberColumn.inputTokens] = usage.inputTokens;
      numbers[n + NumberColumn.outputTokens] = usage.outputTokens;
      numbers[n + NumberColumn.cacheReadTokens] = usage.cacheReadTokens;
      numbers[n + NumberColumn.cacheWriteTokens] = usage.cacheWriteTokens;
    } else {
      nulls |=
        numberNullBit(NumberColumn.inputTokens) |
        numberNullBit(NumberColumn.outputTokens) |
        numberNullBit(NumberColumn.cacheReadTokens) |
        numberNullBit(NumberColumn.cacheWriteTokens);
    }
    nulls |= this.putNumber(n, NumberColumn.costUsd, costUsd);

    // Request ids are unique: appended without a lookup that could never hit.
    this.refs[r + StringColumn.requestId] = this.strings.push(entry.requestId) - 1;
    this.putString(r, StringColumn.method, entry.method);
    this.putString(r, StringColumn.path, entry.path);
    nulls |= this.putNullableString(r, StringColumn.platform, entry.platform);
    nulls |= this.putNullableString(r, StringColumn.sessionId, entry.sessionId);
    nulls |= this.putNullableString(r, StringColumn.provider, entry.provider);
    this.putString(r, StringColumn.providerSource, entry.providerSource);
    this.putString(r, StringColumn.routeClass, entry.routeClass);
    this.putString(r, StringColumn.backend, entry.backend);
    this.putString(r, StringColumn.via, entry.via);
    this.putString(r, StringColumn.credentialSource, entry.credentialSource);
    nulls |= this.putNullableString(r, StringColumn.upstream, entry.upstream);
    this.putString(r, StringColumn.reasonsJson, reasonsJson);
    nulls |= this.putNullableString(r, StringColumn.model, entry.model);
    nulls |= this.putNullableString(r, StringColumn.errorType, entry.errorType);

    this.refs[r + NULL_WORD] = nulls;
    this.count++;
  }

  /** The rows written so far, to be posted with `buffer` in the transfer list; null when there are none. */
  take(): RowBatch | null {
    if (this.count === 0 || this.buffer === null) return null;
    const batch: RowBatch = { rows: this.count, buffer: this.buffer, strings: this.strings };
    this.buffer = null;
    this.numbers = new Float64Array(0);
    this.refs = new Uint32Array(0);
    this.strings = [];
    this.count = 0;
    this.recentCount.fill(0);
    this.nextRecent.fill(0);
    // Let go of the batch's strings: held here, they would outlive it.
    this.recentStrings.fill(undefined);
    return batch;
  }

  /** Forgets the rows written since the last `take()`. */
  discard(): void {
    this.take();
  }

  private startBuffer(): void {
    this.buffer = rowBatchBuffer(this.capacity);
    const views = rowBatchViews(this.buffer);
    this.numbers = views.numbers;
    this.refs = views.refs;
  }

  /** Returns the column's null bit when `value` is null (the slot is left as it is). */
  private putNumber(n: number, column: number, value: number | null): number {
    if (value === null) return numberNullBit(column);
    this.numbers[n + column] = value;
    return 0;
  }

  private putNullableString(r: number, column: number, value: string | null): number {
    if (value === null) return stringNullBit(column);
    this.putString(r, column, value);
    return 0;
  }

  private putString(r: number, column: number, value: string): void {
    const first = column * RECENT_PER_COLUMN;
    const filled = this.recentCount[column];
    for (let slot = first; slot < first + filled; slot++) {
      if (this.recentStrings[slot] === value) {
        this.refs[r + column] = this.recentRefs[slot];
        return;
      }
    }
    const ref = this.strings.push(value) - 1;
    let slot = filled;
    if (filled < RECENT_PER_COLUMN) this.recentCount[column] = filled + 1;
    else {
      slot = this.nextRecent[column];
      this.nextRecent[column] = (slot + 1) % RECENT_PER_COLUMN;
    }
    this.recentStrings[first + slot] = value;
    this.recentRefs[first + slot] = ref;
    this.refs[r + column] = ref;
  }
}
