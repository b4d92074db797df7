import type { LedgerRow } from './ledger-row';
import { NULL_WORD, NUMBER_SLOTS, NumberColumn, REF_SLOTS, StringColumn, numberNullBit, rowBatchViews, stringNullBit, type RowBatch } from './row-batch';
import type { RowValues } from './row-values';

/** The writer thread's view of a received batch (layout in `row-batch.ts`): rows as INSERT values or as stored rows. */
export class RowBatchReader {
  private readonly numbers: Float64Array;
  private readonly refs: Uint32Array;
  private readonly strings: readonly string[];

  constructor(private readonly batch: RowBatch) {
    const views = rowBatchViews(batch.buffer);
    if (batch.rows > views.capacity) throw new RangeError(`a ledger row batch of ${batch.rows} rows in a buffer for ${views.capacity}`);
    this.numbers = views.numbers;
    this.refs = views.refs;
    this.strings = batch.strings;
  }

  /** Rows in the batch (it can shrink: a full queue drops its oldest rows). */
  get rows(): number {
    return this.batch.rows;
  }

  /** Row `row`'s column values, written into `into` (reused from row to row) and returned. */
  valuesInto(row: number, into: RowValues): RowValues {
    const n = row * NUMBER_SLOTS;
    const r = row * REF_SLOTS;
    const nulls = this.refs[r + NULL_WORD];
    const numbers = this.numbers;
    into[0] = this.string(r, StringColumn.requestId);
    into[1] = numbers[n + NumberColumn.startedAt];
    into[2] = this.string(r, StringColumn.method);
    into[3] = this.string(r, StringColumn.path);
    into[4] = this.nullableString(r, nulls, StringColumn.platform);
    into[5] = this.nullableString(r, nulls, StringColumn.sessionId);
    into[6] = this.nullableString(r, nulls, StringColumn.provider);
    into[7] = this.string(r, StringColumn.providerSource);
    into[8] = this.string(r, StringColumn.routeClass);
    into[9] = this.string(r, StringColumn.backend);
    into[10] = this.string(r, StringColumn.via);
    into[11] = this.string(r, StringColumn.credentialSource);
    into[12] = this.nullableString(r, nulls, StringColumn.upstream);
    into[13] = this.string(r, StringColumn.reasonsJson);
    into[14] = this.nullableString(r, nulls, StringColumn.model);
    into[15] = this.nullableNumber(n, nulls, NumberColumn.status);
    into[16] = this.nullableString(r, nulls, StringColumn.errorType);
    into[17] = this.nullableNumber(n, nulls, NumberColumn.ttfbMs);
    into[18] = numbers[n + NumberColumn.totalMs];
    into[19] = this.nullableNumber(n, nulls, NumberColumn.bytesIn);
    into[20] = this.nullableNumber(n, nulls, NumberColumn.bytesOut);
    into[21] = this.nullableNumber(n, nulls, NumberColumn.inputTokens);
    into[22] = this.nullableNumber(n, nulls, NumberColumn.outputTokens);
    into[23] = this.nullableNumber(n, nulls, NumberColumn.cacheReadTokens);
    into[24] = this.nullableNumber(n, nulls, NumberColumn.cacheWriteTokens);
    into[25] = this.nullableNumber(n, nulls, NumberColumn.costUsd);
    return into;
  }

  /** Row `row` as stored under ledger id `id` (for the live feed). */
  rowAt(row: number, id: number): LedgerRow {
    const v = this.valuesInto(row, new Array(26) as RowValues);
    let reasons: string[] = [];
    try {
      reasons = JSON.parse(v[13]) as string[];
    } catch {
      // stored as written; a damaged value reads as no reasons
    }
    return {
      id,
      requestId: v[0],
      startedAt: v[1],
      method: v[2],
      path: v[3],
      platform: v[4],
      sessionId: v[5],
      provider: v[6],
      providerSource: v[7],
      routeClass: v[8],
      backend: v[9],
      via: v[10],
      credentialSource: v[11],
      upstream: v[12],
      reasons,
      model: v[14],
      status: v[15],
      errorType: v[16],
      ttfbMs: v[17],
      totalMs: v[18],
      bytesIn: v[19],
      bytesOut: v[20],
      inputTokens: v[21],
      outputTokens: v[22],
      cacheReadTokens: v[23],
      cacheWriteTokens: v[24],
      costUsd: v[25],
    };
  }

  private nullableNumber(n: number, nulls: number, column: number): number | null {
    return (nulls & numberNullBit(column)) !== 0 ? null : this.numbers[n + column];
  }

  private string(r: number, column: number): string {
    return this.strings[this.refs[r + column]];
  }

  private nullableString(r: number, nulls: number, column: number): string | null {
    return (nulls & stringNullBit(column)) !== 0 ? null : this.string(r, column);
  }
}
