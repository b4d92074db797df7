import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../../config/load-config';
import type { Logger } from '../../../log/logger';
import { TOKENS } from '../../../di-tokens';
import { WarmProcess, type WarmProcessSpec } from '../cli/warm-process';

/** One conversation's warm CLI and what it holds. */
export interface WarmSession {
  /** The conversation key (platform + session id, or the `continue` key). */
  readonly key: string;
  readonly process: WarmProcess;
  /** `--model` it was started with (null: the CLI's default). */
  readonly model: string | null;
  /** The CLI session it holds (from its records), once known. */
  cliSessionId: string | null;
  /** Hash of the system prompt it was given. */
  systemHash: string | null;
  /** Turns answered. */
  turns: number;
  lastUsedAt: number;
  /** A turn is running (it must not be evicted or expired). */
  busy: boolean;
}

/** One warm session in `/tokenpak/status` (the key only hashed: session ids are the caller's). */
export interface WarmSessionStatus {
  key: string;
  pid: number | null;
  model: string | null;
  ageMs: number;
  turns: number;
  idleMs: number | null;
  busy: boolean;
  /** Resident memory in KiB, from /proc/<pid>/status (null where unavailable). */
  rssKiB: number | null;
}

export interface WarmPoolStatus {
  max: number;
  idleMs: number;
  spare: { pid: number | null; rssKiB: number | null } | null;
  sessions: WarmSessionStatus[];
}

/** How long shutdown waits for warm processes to exit after SIGKILL. */
const CLOSE_WAIT_MS = 3000;

/** A short, stable, non-reversible label for a conversation key. */
export function hashedKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Resident memory of a process in KiB (Linux /proc), or null. */
export function residentKiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The warm CLI processes (ARCHITECTURE §2.6.1): at most `companion.warm.max`
 * conversations keep a process; an idle one is ended after `companion.warm.idleMs`;
 * when the pool is full the least recently used idle one makes room. A session is
 * checked out while a turn runs (never evicted then) and checked back in after.
 * Optionally one spare process, started ahead with no session and no `--model`, is
 * handed to the next new conversation on the default model.
 */
@injectable()
export class WarmPool {
  readonly max: number;
  readonly idleMs: number;
  private readonly spareWanted: number;
  private readonly sessions = new Map<string, WarmSession>();
  private readonly idleTimers = new Map<WarmSession, NodeJS.Timeout>();
  private readonly everyProcess = new Set<WarmProcess>();
  private spare: WarmProcess | null = null;
  private closed = false;
  private readonly logger: Logger;

  constructor(@inject(TOKENS.Config) resolved: ResolvedConfig, @inject(TOKENS.Logger) logger: Logger) {
    const { warm } = resolved.config.companion;
    this.max = warm.max;
    this.idleMs = warm.idleMs;
    this.spareWanted = warm.spare;
    this.logger = logger.child('companion.warm');
  }

  get enabled(): boolean {
    return this.max > 0 && !this.closed;
  }

  /** The usable session for `key`, if any (dead ones are dropped here). */
  peek(key: string): WarmSession | undefined {
    const session = this.sessions.get(key);
    if (session && !session.process.usable) {
      this.drop(session);
      return undefined;
    }
    return session;
  }

  /** Takes `key`'s idle session for a turn (busy until `checkin`/`discard`). */
  checkout(key: string): WarmSession | undefined {
    const session = this.peek(key);
    if (!session || session.busy) return undefined;
    this.clearIdle(session);
    session.busy = true;
    return session;
  }

  /**
   * A new session for `key`, busy, on a new process (or the spare when `spec` is null-safe
   * for it: no `--model`, no resume). Ends whatever `key` held and, when the pool is full,
   * the least recently used idle session.
   */
  start(key: string, spec: WarmProcessSpec, model: string | null, useSpare: boolean): { session: WarmSession; spare: boolean } {
    const old = this.sessions.get(key);
    if (old) this.discard(old);
    this.evictDownTo(this.max - 1);
    const spare = useSpare ? this.takeSpare() : null;
    const proc = spare ?? this.spawn(spec);
    const session: WarmSession = { key, process: proc, model, cliSessionId: null, systemHash: null, turns: 0, lastUsedAt: Date.now(), busy: true };
    this.sessions.set(key, session);
    proc.exited.then(
      () => {
        if (this.sessions.get(key) === session) this.sessions.delete(key);
        this.clearIdle(session);
      },
      () => undefined,
    );
    return { session, spare: spare !== null };
  }

  /** A process for a one-off turn (no conversation key): not pooled, ended after its turn by the caller. */
  startUnpooled(spec: WarmProcessSpec, useSpare: boolean): { process: WarmProcess; spare: boolean } {
    const spare = useSpare ? this.takeSpare() : null;
    return { process: spare ?? this.spawn(spec), spare: spare !== null };
  }

  /** A turn ended well: the session is idle again, its expiry timer restarted. */
  checkin(session: WarmSession): void {
    session.busy = false;
    session.lastUsedAt = Date.now();
    if (this.sessions.get(session.key) !== session || !session.process.usable) return;
    this.clearIdle(session);
    const timer = setTimeout(() => {
      this.logger.debug(`warm session ${hashedKey(session.key)} idle for ${this.idleMs} ms; ending it`);
      this.discard(session);
    }, this.idleMs);
    timer.unref();
    this.idleTimers.set(session, timer);
    // The pool ran over while every session was mid-turn: back to the limit now.
    this.evictDownTo(this.max);
  }

  /** Ends a session's process (politely: stdin closed first) and forgets it. */
  discard(session: WarmSession): void {
    this.drop(session);
    session.process.end();
  }

  /**
   * Keeps one spare process started ahead (when `companion.warm.spare` is on), built by
   * `spec` — called once the CLI is known to work, and again after a spare was used.
   */
  replenishSpare(spec: () => WarmProcessSpec): void {
    if (this.spareWanted < 1 || this.closed || (this.spare && this.spare.usable)) return;
    const proc = this.spawn(spec());
    this.spare = proc;
    proc.exited.then(
      () => {
        if (this.spare === proc) this.spare = null;
      },
      () => undefined,
    );
  }

  status(): WarmPoolStatus {
    const now = Date.now();
    const sessions = [...this.sessions.values()].map((session) => ({
      key: hashedKey(session.key),
      pid: session.process.pid ?? null,
      model: session.model,
      ageMs: now - session.process.startedAt,
      turns: session.turns,
      idleMs: session.busy ? null : now - session.lastUsedAt,
      busy: session.busy,
      rssKiB: residentKiB(session.process.pid),
    }));
    const spare = this.spare ? { pid: this.spare.pid ?? null, rssKiB: residentKiB(this.spare.pid) } : null;
    return { max: this.max, idleMs: this.idleMs, spare, sessions };
  }

  /** Shutdown: every warm process is killed (group and all) and waited for, bounded. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    const all = [...this.everyProcess];
    for (const proc of all) proc.killNow();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([Promise.allSettled(all.map((proc) => proc.exited)), bound]);
    clearTimeout(timer);
    this.sessions.clear();
    this.spare = null;
  }

  private spawn(spec: WarmProcessSpec): WarmProcess {
    const proc = new WarmProcess(spec);
    this.everyProcess.add(proc);
    proc.exited.then(
      () => this.everyProcess.delete(proc),
      () => undefined,
    );
    if (this.closed) proc.killNow();
    return proc;
  }

  private takeSpare(): WarmProcess | null {
    const spare = this.spare;
    this.spare = null;
    return spare && spare.usable ? spare : null;
  }

  /** Evicts least-recently-used idle sessions until at most `limit` remain (or only busy ones). */
  private evictDownTo(limit: number): void {
    while (this.sessions.size > limit) {
      let oldest: WarmSession | null = null;
      for (const session of this.sessions.values()) if (!session.busy && (!oldest || session.lastUsedAt < oldest.lastUsedAt)) oldest = session;
      // Every session is mid-turn: the pool runs over by one until a turn ends (bounded by maxConcurrent).
      if (!oldest) return;
      this.logger.debug(`warm pool full (${this.max}); evicting ${hashedKey(oldest.key)}`);
      this.discard(oldest);
    }
  }

  private drop(session: WarmSession): void {
    this.clearIdle(session);
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
  }

  private clearIdle(session: WarmSession): void {
    const timer = this.idleTimers.get(session);
    if (timer) clearTimeout(timer);
    this.idleTimers.delete(session);
  }
}
