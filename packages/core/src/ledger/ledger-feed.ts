import { injectable } from 'tsyringe';
import type { LedgerRow } from './ledger-row';

export type LedgerListener = (rows: readonly LedgerRow[]) => void;

/** Rows as they are written, for live views (`/tokenpak/events`); one instance per container. */
@injectable()
export class LedgerFeed {
  private readonly listeners = new Set<LedgerListener>();

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: LedgerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(rows: readonly LedgerRow[]): void {
    for (const listener of this.listeners) {
      try {
        listener(rows);
      } catch {
        // one broken subscriber must not stop the others
      }
    }
  }
}
