import { ledgerFileIn, openLedgerForReading, type TokenPakConfig } from '@tokenpak/core';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { shownPath } from '../home-dir';
import { fail, ok, type CheckResult } from './check-result';

/** The request ledger: enabled, writable (file, or the nearest existing folder on its path), rows and size on disk. */
export async function ledgerCheck(config: TokenPakConfig, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const file = ledgerFileIn(config.state.dir);
  const shown = shownPath(file, env);
  if (!config.ledger.enabled) return ok('ledger', `ledger off (ledger.enabled is false); ${shown} is not written`, { file, enabled: false });
  const writable = await nearestWritable(file);
  if (!writable.ok)
    return fail('ledger', `${shown} is not writable (${writable.where})`, `make ${writable.where} writable by you, or set state.dir / TOKENPAK_HOME`, {
      file,
      enabled: true,
    });
  const sizes = await Promise.all(
    ['', '-wal'].map((suffix) =>
      stat(`${file}${suffix}`).then(
        (info) => info.size,
        () => 0,
      ),
    ),
  );
  const bytes = sizes.reduce((sum, size) => sum + size, 0);
  let rows: number | null = null;
  const db = openLedgerForReading(file);
  if (db) {
    try {
      rows = (db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
    } catch {
      rows = null;
    } finally {
      db.close();
    }
  }
  const detail = db ? `${shown}: ${rows ?? 'unknown'} rows, ${formatBytes(bytes)}` : `${shown} not created yet (the proxy creates it with its first request)`;
  return ok('ledger', detail, { file, enabled: true, rows, bytes });
}

async function nearestWritable(file: string): Promise<{ ok: true } | { ok: false; where: string }> {
  let target = file;
  for (;;) {
    try {
      await access(target, constants.W_OK);
      return { ok: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, where: target };
      const parent = path.dirname(target);
      if (parent === target) return { ok: false, where: target };
      target = parent;
    }
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
