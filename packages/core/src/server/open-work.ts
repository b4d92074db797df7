/** Something upgraded that shutdown must close: a joined tunnel, or a client socket still waiting for the upstream's answer. */
export interface OpenUpgrade {
  /** Close 1001 to both peers (ARCHITECTURE §2.7); a no-op before the tunnel exists. */
  goingAway(): void;
  /** Ends it now. */
  destroy(): void;
}

/**
 * What the server has to settle before shutdown may close the ledger (ARCHITECTURE §7):
 * the open upgrades, and the ledger rows of requests and turns still being measured. One
 * per listening server; nothing global.
 */
export class OpenWork {
  private readonly upgrades = new Set<OpenUpgrade>();
  private rowsPending = 0;
  private readonly rowWaiters: Array<() => void> = [];

  /** Registers an upgrade; returns its removal. */
  addUpgrade(upgrade: OpenUpgrade): () => void {
    this.upgrades.add(upgrade);
    return () => void this.upgrades.delete(upgrade);
  }

  get openUpgrades(): number {
    return this.upgrades.size;
  }

  /** A ledger row that will be recorded later; call the returned function once it was (or will never be). */
  rowPending(): () => void {
    this.rowsPending++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.rowsPending--;
      if (this.rowsPending === 0 && this.rowWaiters.length > 0) this.rowWaiters.splice(0).forEach((wake) => wake());
    };
  }

  goingAway(): void {
    for (const upgrade of this.upgrades) upgrade.goingAway();
  }

  destroyUpgrades(): void {
    for (const upgrade of [...this.upgrades]) upgrade.destroy();
    this.upgrades.clear();
  }

  /** Resolves once every pending row was recorded, or after `timeoutMs` (a row still held by a backend is then lost). */
  async rowsRecorded(timeoutMs: number): Promise<boolean> {
    if (this.rowsPending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      new Promise<boolean>((resolve) => this.rowWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return settled;
  }
}
