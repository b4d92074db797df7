import type { Logger } from '@tokenpak/core';
import { claimPidFile, removePidFile, updatePidFile, type PidRecord } from './pid-file';
import { settleWithin } from './settle-within';

/** How long pid file work on `state.dir` may take before TokenPak runs without it (the ledger's bound, ARCHITECTURE §7). */
const STATE_DIR_BOUND_MS = 2000;

/**
 * The running instance's pid file over its life: claimed at start, rewritten after listening
 * and after each reload, removed at exit. Every step is bounded: a `state.dir` on a stalled
 * filesystem costs the pid file (logged), never the proxy. Once a step has timed out
 * (`blocked`), no more filesystem work is attempted, and exit must not wait for the pool
 * thread still stuck in it.
 */
export class InstanceFile {
  private held = false;
  private stalled = false;

  constructor(
    readonly file: string,
    readonly record: PidRecord,
    private readonly logger: Logger,
  ) {}

  /** True once a step did not finish within the bound: a thread is blocked in `state.dir`. */
  get blocked(): boolean {
    return this.stalled;
  }

  /**
   * `running`: another live TokenPak holds the file (start must refuse). `claimed`: ours now
   * (`replacedStale` names a dead holder it replaced). `unavailable`: could not be written
   * (logged); TokenPak runs without a pid file.
   */
  async claim(): Promise<{ kind: 'claimed'; replacedStale: PidRecord | null } | { kind: 'running'; holder: PidRecord } | { kind: 'unavailable' }> {
    const claim = await this.step('write the pid file', claimPidFile(this.file, this.record));
    if (!claim) return { kind: 'unavailable' };
    if (!claim.claimed) return { kind: 'running', holder: claim.running };
    this.held = true;
    return { kind: 'claimed', replacedStale: claim.replacedStale };
  }

  /** Rewrites the file with `record`'s current fields. Never rejects. */
  async update(): Promise<void> {
    if (this.held && !this.stalled) await this.step('update the pid file', updatePidFile(this.file, this.record));
  }

  /** Removes the file if it is ours. Synchronous (exit paths); skipped when `state.dir` is stalled (the next start replaces it). */
  remove(): void {
    if (this.held && !this.stalled) removePidFile(this.file, this.record.pid);
    this.held = false;
  }

  private async step<T>(what: string, work: Promise<T>): Promise<T | null> {
    const settled = await settleWithin(work, STATE_DIR_BOUND_MS);
    if (settled.state === 'fulfilled') return settled.value;
    if (settled.state === 'timeout') this.stalled = true;
    const why =
      settled.state === 'timeout'
        ? `it did not finish within ${STATE_DIR_BOUND_MS} ms (is state.dir on a slow or stalled filesystem?)`
        : (settled.error as Error).message;
    this.logger.warn(`could not ${what} ${this.file}: ${why}; tokenpak stop/reload cannot find this instance`);
    return null;
  }
}
