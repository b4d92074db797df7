import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** `<state.dir>/tokenpak.pid` (ARCHITECTURE §7): who is running on this state dir, and where. */
export const PID_FILE_NAME = 'tokenpak.pid';

/** The pid file's JSON. */
export interface PidRecord {
  pid: number;
  /** Base URL once listening (null while starting). */
  url: string | null;
  host: string | null;
  port: number | null;
  /** ISO 8601. */
  startedAt: string;
  /** The config file it runs with (null: built-in defaults). */
  config: string | null;
  /** `server.shutdownTimeoutMs`: how long `tokenpak stop` should expect a graceful stop to take. */
  shutdownTimeoutMs: number;
  /** Reloads attempted so far (SIGHUP / `tokenpak reload`), and how the last one went. */
  reloads: number;
  lastReload: { at: string; ok: boolean; generation: number; error?: string } | null;
}

export function pidFileIn(stateDir: string): string {
  return path.join(stateDir, PID_FILE_NAME);
}

/** The record, or null when there is no file or it is not a pid record. */
export function readPidFile(file: string): PidRecord | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return parsePidRecord(text);
}

/** `readPidFile` off the event loop (a stalled `state.dir` then blocks a pool thread, not the proxy). */
export async function readPidFileAsync(file: string): Promise<PidRecord | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  return parsePidRecord(text);
}

function parsePidRecord(text: string): PidRecord | null {
  try {
    const record = JSON.parse(text) as Partial<PidRecord>;
    return typeof record.pid === 'number' && Number.isInteger(record.pid) && record.pid > 0 ? (record as PidRecord) : null;
  } catch {
    return null;
  }
}

/**
 * True when `pid` is a live process that looks like TokenPak. Where `/proc` exists, its
 * command line must mention tokenpak, so a pid reused by an unrelated process after a crash
 * counts as stale (and is never signalled by `tokenpak stop`).
 */
export function isTokenPakRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes('tokenpak');
  } catch {
    return false;
  }
}

export type PidClaim = { claimed: true; replacedStale: PidRecord | null } | { claimed: false; running: PidRecord };

/**
 * Makes `record` the pid file unless a live TokenPak holds it. The claim is atomic (a
 * complete temp file hard-linked into place, which fails if the name exists), so two
 * starts racing on one state dir cannot both win. A stale file (its process gone, or
 * unreadable) is replaced once.
 */
export async function claimPidFile(file: string, record: PidRecord): Promise<PidClaim> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let replacedStale: PidRecord | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    try {
      await link(temp, file);
      return { claimed: true, replacedStale };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temp);
    }
    const holder = await readPidFileAsync(file);
    if (holder && holder.pid !== process.pid && isTokenPakRunning(holder.pid)) return { claimed: false, running: holder };
    replacedStale = holder;
    try {
      await unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  // Another start replaced the stale file between our unlink and link: it won.
  const winner = await readPidFileAsync(file);
  if (winner) return { claimed: false, running: winner };
  throw new Error(`could not create ${file}`);
}

/** Rewrites the pid file atomically (temp file + rename), if it is still ours. */
export async function updatePidFile(file: string, record: PidRecord): Promise<void> {
  if ((await readPidFileAsync(file))?.pid !== record.pid) return;
  const temp = `${file}.${record.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/** Removes the pid file if it names `pid` (never another instance's). Synchronous: runs from exit paths. */
export function removePidFile(file: string, pid: number): void {
  try {
    if (readPidFile(file)?.pid === pid) unlinkSync(file);
  } catch {
    // already gone
  }
}
