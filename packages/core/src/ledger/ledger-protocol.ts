import type { GroupKey, RowFilter, StatsReport } from './ledger-queries';
import type { LedgerRow } from './ledger-row';
import type { RowBatch } from './row-batch';

/** What the ledger's worker thread is started with. */
export interface LedgerWorkerSettings {
  file: string;
  /** 0 keeps everything. */
  retentionDays: number;
}

export type LedgerQuery =
  | { name: 'list'; filter: RowFilter & { limit: number; beforeId?: number } }
  | { name: 'after'; afterId: number; limit: number }
  | { name: 'summarize'; filter: RowFilter; by: GroupKey | null };

export type LedgerAnswer<Q extends LedgerQuery> = Q extends { name: 'summarize' } ? StatsReport : LedgerRow[];

/** Proxy → worker. */
export type ToLedgerWorker =
  | {
      kind: 'insert';
      /** Oldest first, written in one transaction; posted with every batch's buffer in the transfer list. */
      batches: RowBatch[];
      /** Someone watches the live feed: send the stored rows back. */
      echo: boolean;
    }
  | { kind: 'query'; id: number; query: LedgerQuery }
  | { kind: 'close' };

/** Worker → proxy. */
export type FromLedgerWorker =
  | { kind: 'ready' }
  | { kind: 'open-failed'; message: string }
  | { kind: 'inserted'; count: number; rows: LedgerRow[] | null }
  | { kind: 'write-failed'; message: string; queued: number }
  | { kind: 'answer'; id: number; result: unknown }
  | { kind: 'query-failed'; id: number; message: string }
  | { kind: 'warning'; message: string };
