import { MessageChannel } from 'node:worker_threads';
import type { PricedEntry } from '../../packages/core/src/ledger/ledger-store';
import type { LedgerRow } from '../../packages/core/src/ledger/ledger-row';
import { ROW_BYTES, dropOldestRows, type RowBatch } from '../../packages/core/src/ledger/row-batch';
import { RowBatchEncoder } from '../../packages/core/src/ledger/row-batch-encoder';
import { RowBatchQueue } from '../../packages/core/src/ledger/row-batch-queue';
import { RowBatchReader } from '../../packages/core/src/ledger/row-batch-reader';
import { emptyRowValues, type RowValues } from '../../packages/core/src/ledger/row-values';

/**
 * Every column gets a value no other column has (distinct numbers, strings with the
 * column's name in them), so a field written to or read from the wrong slot, a null bit
 * on the wrong column, or a string reference into the wrong table entry fails the test.
 */
function distinctEntry(i: number): PricedEntry {
  return {
    requestId: `req_${i.toString(16).padStart(32, '0')}`,
    startedAt: 1_764_500_000_000 + i,
    method: ['POST', 'GET', 'WS'][i % 3]!,
    path: `/path/${i % 5}`,
    platform: i % 7 === 0 ? null : `platform-${i % 4}`,
    sessionId: i % 11 === 0 ? null : `session-${i % 9}`,
    provider: i % 13 === 0 ? null : `provider-${i % 2}`,
    providerSource: `providerSource-${i % 3}`,
    routeClass: `routeClass-${i % 6}`,
    backend: `backend-${i % 2}`,
    via: `via-${i % 2}`,
    credentialSource: `credentialSource-${i % 3}`,
    upstream: i % 17 === 0 ? null : `https://upstream-${i % 3}.example:443`,
    reasons: [`reason ${i % 4}`, 'shared'],
    model: i % 19 === 0 ? null : `model-${i % 5}`,
    status: i % 23 === 0 ? null : 200 + (i % 300),
    errorType: i % 5 === 0 ? `errorType-${i % 10}` : null,
    ttfbMs: i % 29 === 0 ? null : i + 0.125,
    totalMs: i + 1000.375,
    bytesIn: i % 31 === 0 ? null : 10_000 + i,
    bytesOut: i % 37 === 0 ? null : 20_000 + i,
    usage:
      i % 41 === 0
        ? null
        : { inputTokens: 30_000 + i, outputTokens: 40_000 + i, cacheReadTokens: 50_000 + i, cacheWriteTokens: 60_000 + i, cacheWrite1hTokens: 7 },
    costUsd: i % 43 === 0 ? null : (i + 1) * 0.000123,
  };
}

/** The stored row an entry must come back as (an oracle written independently of the reader). */
function expectedRow(entry: PricedEntry, id: number): LedgerRow {
  return {
    id,
    requestId: entry.requestId,
    startedAt: entry.startedAt,
    method: entry.method,
    path: entry.path,
    platform: entry.platform,
    sessionId: entry.sessionId,
    provider: entry.provider,
    providerSource: entry.providerSource,
    routeClass: entry.routeClass,
    backend: entry.backend,
    via: entry.via,
    credentialSource: entry.credentialSource,
    upstream: entry.upstream,
    reasons: [...entry.reasons],
    model: entry.model,
    status: entry.status,
    errorType: entry.errorType,
    ttfbMs: entry.ttfbMs,
    totalMs: entry.totalMs,
    bytesIn: entry.bytesIn,
    bytesOut: entry.bytesOut,
    inputTokens: entry.usage?.inputTokens ?? null,
    outputTokens: entry.usage?.outputTokens ?? null,
    cacheReadTokens: entry.usage?.cacheReadTokens ?? null,
    cacheWriteTokens: entry.usage?.cacheWriteTokens ?? null,
    costUsd: entry.costUsd,
  };
}

/** The INSERT-order tuple an entry must come back as. */
function expectedValues(entry: PricedEntry): RowValues {
  const row = expectedRow(entry, 0);
  return [
    row.requestId,
    row.startedAt,
    row.method,
    row.path,
    row.platform,
    row.sessionId,
    row.provider,
    row.providerSource,
    row.routeClass,
    row.backend,
    row.via,
    row.credentialSource,
    row.upstream,
    JSON.stringify(entry.reasons),
    row.model,
    row.status,
    row.errorType,
    row.ttfbMs,
    row.totalMs,
    row.bytesIn,
    row.bytesOut,
    row.inputTokens,
    row.outputTokens,
    row.cacheReadTokens,
    row.cacheWriteTokens,
    row.costUsd,
  ];
}

/** Encodes entries in batches of `capacity` as the recorder does (take when full); returns the batches. */
function encodeAll(entries: readonly PricedEntry[], capacity = 64): RowBatch[] {
  const encoder = new RowBatchEncoder(capacity);
  const batches: RowBatch[] = [];
  for (const entry of entries) {
    encoder.append(entry, JSON.stringify(entry.reasons), entry.costUsd);
    if (encoder.rows === capacity) batches.push(encoder.take()!);
  }
  const last = encoder.take();
  if (last) batches.push(last);
  return batches;
}

function decodeAll(batches: readonly RowBatch[]): { rows: LedgerRow[]; values: RowValues[] } {
  const rows: LedgerRow[] = [];
  const values: RowValues[] = [];
  const scratch = emptyRowValues();
  for (const batch of batches) {
    const reader = new RowBatchReader(batch);
    for (let row = 0; row < reader.rows; row++) {
      rows.push(reader.rowAt(row, rows.length + 1));
      values.push([...reader.valuesInto(row, scratch)] as RowValues);
    }
  }
  return { rows, values };
}

/** Sends batches through a real MessagePort with their buffers transferred, as the recorder does. */
async function transferred(batches: RowBatch[]): Promise<RowBatch[]> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = new Promise<RowBatch[]>((resolve) => port2.once('message', (message: { batches: RowBatch[] }) => resolve(message.batches)));
    port1.postMessage(
      { batches },
      batches.map((batch) => batch.buffer),
    );
    return await received;
  } finally {
    port1.close();
    port2.close();
  }
}

describe('ledger row batches', () => {
  test('every column round-trips, nulls included, across 64-row batch boundaries and a transfer', async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => distinctEntry(i));
    const batches = encodeAll(entries);
    expect(batches.map((batch) => batch.rows)).toEqual([...Array<number>(15).fill(64), 1000 - 15 * 64]);
    // Each batch carries its own table: every string once, request ids included (no column here has more than 16 values in a batch).
    for (const batch of batches) expect(new Set(batch.strings).size).toBe(batch.strings.length);
    expect(batches[1]!.strings.filter((value) => value === 'POST')).toHaveLength(1);

    const received = await transferred(batches);
    expect(batches.every((batch) => batch.buffer.byteLength === 0)).toBe(true); // moved, not copied
    const { rows, values } = decodeAll(received);
    expect(rows).toEqual(entries.map((entry, index) => expectedRow(entry, index + 1)));
    expect(values).toEqual(entries.map(expectedValues));
  });

  test('exact values: integers up to 2^53, small and odd floats, zero versus null, NaN, unicode and empty strings', () => {
    const base = distinctEntry(1);
    const edge: PricedEntry[] = [
      {
        ...base,
        requestId: 'req_ü😀',
        startedAt: Number.MAX_SAFE_INTEGER,
        method: '',
        path: '/v1/messages/ünïcødé/😀/\u0000/\ud800',
        platform: '',
        sessionId: 'セッション',
        errorType: '',
        status: 0,
        ttfbMs: 0,
        totalMs: 2 ** 53,
        bytesIn: 0,
        bytesOut: 2 ** 53 - 1,
        reasons: ['mañana "quoted" \\ back', '🚀'],
        model: '模型-4',
        usage: { inputTokens: 2 ** 40 + 1, outputTokens: 0, cacheReadTokens: 1, cacheWriteTokens: 2 ** 31, cacheWrite1hTokens: 0 },
        costUsd: 0.000123,
      },
      { ...base, ttfbMs: NaN, totalMs: 1e-9, costUsd: 0.1 + 0.2, bytesIn: null, status: null, upstream: null, usage: null, model: null },
      { ...base, costUsd: 0, totalMs: 123456.789012345, ttfbMs: -0.5 },
    ];
    const { rows } = decodeAll(encodeAll(edge));
    expect(rows).toEqual(edge.map((entry, index) => expectedRow(entry, index + 1)));
    expect(rows[0]!.costUsd).toBe(0.000123);
    expect(rows[0]!.inputTokens).toBe(1_099_511_627_777);
    expect(rows[0]!.status).toBe(0); // zero is not null
    expect(rows[0]!.errorType).toBe(''); // neither is an empty string
    expect(rows[1]!.ttfbMs).toBeNaN(); // NaN is a value, not a null
    expect(rows[1]!.costUsd).toBe(0.30000000000000004);
    expect(rows[1]!.status).toBeNull();
  });

  test('a column with more distinct values in a batch than the encoder recognises still round-trips (the extra values are sent again)', () => {
    const entries = Array.from({ length: 64 }, (_, i) => ({ ...distinctEntry(i), sessionId: `session-${i % 40}`, path: `/p/${i % 20}` }));
    const [batch] = encodeAll(entries);
    expect(batch!.strings.filter((value) => value === '/p/0').length).toBeGreaterThan(1); // sent again: the overflow path is exercised
    expect(decodeAll([batch!]).rows).toEqual(entries.map((entry, index) => expectedRow(entry, index + 1)));
  });

  test('the encoder refuses a row past its capacity and starts an empty batch after take()', () => {
    const encoder = new RowBatchEncoder(2);
    expect(encoder.take()).toBeNull();
    encoder.append(distinctEntry(1), '[]', null);
    encoder.append(distinctEntry(2), '[]', null);
    expect(() => encoder.append(distinctEntry(3), '[]', null)).toThrow(RangeError);
    const first = encoder.take()!;
    expect(first.buffer.byteLength).toBe(2 * ROW_BYTES);
    expect(encoder.rows).toBe(0);
    encoder.append(distinctEntry(3), '[]', null);
    // The new batch's table starts empty: no reference into the previous batch's strings.
    expect(decodeAll([encoder.take()!]).rows[0]!.requestId).toBe(distinctEntry(3).requestId);
    expect(decodeAll([first]).rows.map((row) => row.requestId)).toEqual([distinctEntry(1).requestId, distinctEntry(2).requestId]);
  });

  test('dropping the oldest rows keeps the others intact; a queue over its bound drops exactly its oldest rows', () => {
    const entries = Array.from({ length: 200 }, (_, i) => distinctEntry(i));
    const one = encodeAll(entries.slice(0, 10))[0]!;
    dropOldestRows(one, 3);
    expect(decodeAll([one]).rows).toEqual(entries.slice(3, 10).map((entry, index) => expectedRow(entry, index + 1)));

    const queue = new RowBatchQueue();
    for (const batch of encodeAll(entries)) queue.push(batch);
    expect(queue.rows).toBe(200);
    expect(queue.trimTo(200)).toBe(0);
    expect(queue.trimTo(130)).toBe(70); // the first 64-row batch, and 6 rows of the second
    expect(queue.rows).toBe(130);
    expect(queue.batches.map((batch) => batch.rows)).toEqual([58, 64, 8]);
    expect(decodeAll(queue.take()).rows).toEqual(entries.slice(70).map((entry, index) => expectedRow(entry, index + 1)));
    expect(queue.rows).toBe(0);
  });
});
