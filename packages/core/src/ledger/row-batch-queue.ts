import { dropOldestRows, type RowBatch } from './row-batch';

/**
 * Encoded batches waiting to be written, oldest first, bounded in rows: the recorder's while
 * the worker is starting, the worker's while the file cannot be written. Rows stay encoded
 * (no row objects are rebuilt to queue them); over the bound the oldest rows go first.
 */
export class RowBatchQueue {
  private queued: RowBatch[] = [];
  private count = 0;

  /** Rows in all queued batches. */
  get rows(): number {
    return this.count;
  }

  /** The queued batches, oldest first: a live view, to read now and not keep. */
  get batches(): readonly RowBatch[] {
    return this.queued;
  }

  push(batch: RowBatch): void {
    if (batch.rows === 0) return;
    this.queued.push(batch);
    this.count += batch.rows;
  }

  /** Drops the oldest rows until at most `maxRows` remain; returns how many were dropped. */
  trimTo(maxRows: number): number {
    let excess = this.count - Math.max(maxRows, 0);
    if (excess <= 0) return 0;
    const dropped = excess;
    while (excess > 0) {
      const oldest = this.queued[0]!;
      if (oldest.rows <= excess) {
        excess -= oldest.rows;
        this.queued.shift();
      } else {
        dropOldestRows(oldest, excess);
        excess = 0;
      }
    }
    this.count -= dropped;
    return dropped;
  }

  /** Empties the queue; returns what it held, oldest first. */
  take(): RowBatch[] {
    const batches = this.queued;
    this.queued = [];
    this.count = 0;
    return batches;
  }

  /** Empties the queue; returns how many rows it held. */
  clear(): number {
    const rows = this.count;
    this.take();
    return rows;
  }
}
