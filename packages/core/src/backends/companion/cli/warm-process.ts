import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseCliLine, type CliRecord } from './cli-records';
import type { CliExit, StopReason } from './cli-process';
import { LineSplitter } from './line-splitter';
import { signalProcessGroup } from './process-group';

export interface WarmProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Receives every stdout record while subscribed (a turn, or a tools layer watching the
 * session); `line` is the record's raw JSON, for record types TokenPak does not type
 * (`assistant`, `user`, `control_response`, …).
 */
export type RecordListener = (record: CliRecord, line: string) => void;

/** A line of stdout that was not a record (kept to quote in an error). */
export type RawLineListener = (line: string) => void;

/** Enough stderr to explain a failure; the rest is drained and dropped. */
const STDERR_HEAD_BYTES = 8 * 1024;
/** One stdout record larger than this is a protocol error, not something to buffer. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** After stdin closes, how long the CLI may take to exit by itself before its group is signalled. */
const END_GRACE_MS = 1000;
/** SIGTERM first so the CLI can close cleanly; SIGKILL for whatever is left after this. */
const KILL_GRACE_MS = 300;

/**
 * One long-lived `claude --print --input-format stream-json --output-format stream-json`
 * process (ARCHITECTURE §2.6.1): stdin stays open, every line written is a user turn
 * (or a control request), and stdout is a stream of NDJSON records handed to whoever
 * subscribed. The process is the leader of its own process group, so ending it takes
 * its tools (shells, MCP servers) along.
 *
 * Format source: test/fixtures/captures/claude-code/05-input-stream-json-2turns-partial.*
 * (one `system/init … result` group per input line, one session id for the process).
 */
export class WarmProcess {
  readonly exited: Promise<CliExit>;
  readonly startedAt = Date.now();
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly listeners = new Set<RecordListener>();
  private readonly rawListeners = new Set<RawLineListener>();
  private stoppedBy: StopReason | null = null;
  private alive = true;
  private stderrHead = '';
  private killTimer: NodeJS.Timeout | null = null;
  private endTimer: NodeJS.Timeout | null = null;

  constructor(readonly spec: WarmProcessSpec) {
    this.child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.exited = this.watch();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the process exited, failed to start, or was told to stop. */
  get usable(): boolean {
    return this.alive && this.stoppedBy === null && this.child.pid !== undefined && !this.child.stdin.destroyed;
  }

  /** Subscribes to stdout records; returns the unsubscribe. */
  subscribe(listener: RecordListener, raw?: RawLineListener): () => void {
    this.listeners.add(listener);
    if (raw) this.rawListeners.add(raw);
    return () => {
      this.listeners.delete(listener);
      if (raw) this.rawListeners.delete(raw);
    };
  }

  /**
   * Writes one stdin line (a `{"type":"user",…}` turn or a `{"type":"control_request",…}`);
   * the newline is added here. Returns false when the process can no longer take input.
   */
  writeLine(json: string): boolean {
    if (!this.usable) return false;
    this.child.stdin.write(`${json}\n`);
    return true;
  }

  /** Backpressure: stop reading stdout while the client cannot take more. */
  pauseOutput(): void {
    this.child.stdout.pause();
  }

  resumeOutput(): void {
    this.child.stdout.resume();
  }

  /** The polite end (idle expiry, eviction): stdin closed, then the group signalled if the CLI lingers. */
  end(): void {
    if (!this.alive || this.stoppedBy) return;
    this.stoppedBy = 'idle';
    this.child.stdin.end();
    this.endTimer = setTimeout(() => this.signal(), END_GRACE_MS);
  }

  /** Stops the process and its group now (SIGTERM, then SIGKILL). Idempotent; the first reason sticks. */
  stop(reason: StopReason): void {
    if (!this.alive) return;
    this.stoppedBy ??= reason;
    this.signal();
  }

  /** Shutdown: no grace. */
  killNow(): void {
    this.stoppedBy ??= 'abort';
    signalProcessGroup(this.child, 'SIGKILL');
  }

  /** The stop reason so far (null while TokenPak has not asked it to stop). */
  get stopReason(): StopReason | null {
    return this.stoppedBy;
  }

  private signal(): void {
    if (!this.alive || this.killTimer) return;
    signalProcessGroup(this.child, 'SIGTERM');
    this.killTimer = setTimeout(() => signalProcessGroup(this.child, 'SIGKILL'), KILL_GRACE_MS);
  }

  private watch(): Promise<CliExit> {
    const { child } = this;
    const splitter = new LineSplitter((line) => this.line(line), MAX_LINE_BYTES);
    return new Promise<CliExit>((resolve) => {
      let settled = false;
      const settle = (result: CliExit): void => {
        if (settled) return;
        settled = true;
        this.alive = false;
        if (this.killTimer) clearTimeout(this.killTimer);
        if (this.endTimer) clearTimeout(this.endTimer);
        resolve(result);
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) settle({ kind: 'spawn-failed', error });
      });
      child.stdin.on('error', () => {
        // EPIPE: the CLI is gone; its exit tells why.
      });
      child.stdout.on('data', (chunk: Buffer) => {
        try {
          splitter.push(chunk);
        } catch {
          this.stop('protocol');
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (this.stderrHead.length < STDERR_HEAD_BYTES) this.stderrHead += chunk.toString('utf8').slice(0, STDERR_HEAD_BYTES - this.stderrHead.length);
      });
      child.once('exit', (code, signal) => {
        this.alive = false;
        // Whatever the CLI left behind in its group goes with it.
        signalProcessGroup(child, 'SIGKILL');
        // stdout may still hold the last records; 'close' follows once it is drained.
        const cut = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(code, signal);
        }, 250);
        child.once('close', () => {
          clearTimeout(cut);
          finish(code, signal);
        });
      });
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        try {
          splitter.end();
        } catch {
          // A trailing partial line too long to be a record: it simply is not one.
        }
        settle({ kind: 'exited', code, signal, stoppedBy: this.stoppedBy, stderrHead: this.stderrHead, durationMs: Date.now() - this.startedAt });
      };
    });
  }

  private line(line: string): void {
    const record = parseCliLine(line);
    if (record) for (const listener of [...this.listeners]) listener(record, line);
    else if (line.trim() !== '') for (const listener of [...this.rawListeners]) listener(line);
  }
}
