import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { signalProcessGroup } from './process-group';

export interface CliProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to the child's stdin (a pipe: the real CLI ignores a regular-file stdin), then closed. */
  stdin: Buffer;
  timeoutMs: number;
  onStdout(chunk: Buffer): void;
}

/**
 * Why TokenPak stopped a run: it ran too long, its client went away, its output broke the
 * protocol, or (a warm process) it was idle, evicted or replaced.
 */
export type StopReason = 'timeout' | 'abort' | 'protocol' | 'idle';

export type CliExit =
  | { kind: 'spawn-failed'; error: NodeJS.ErrnoException }
  | {
      kind: 'exited';
      code: number | null;
      signal: NodeJS.Signals | null;
      /** Set when TokenPak stopped it. */
      stoppedBy: StopReason | null;
      /** The first bytes of stderr (for error messages; redact before showing). */
      stderrHead: string;
      durationMs: number;
    };

/** Enough stderr to explain a failure; the rest is drained and dropped. */
const STDERR_HEAD_BYTES = 8 * 1024;
/** SIGTERM first so the CLI can close cleanly; whatever is left of the group gets SIGKILL after this. */
const KILL_GRACE_MS = 300;
/** After the leader exits, how long stdio may stay open (a stray grandchild holding the pipe) before it is cut. */
const CLOSE_GRACE_MS = 250;

/**
 * One run of the CLI: spawned as the leader of its own process group, prompt written to
 * a stdin pipe, stdout handed over chunk by chunk, bounded by a timeout. Stopping it
 * (timeout, client gone, shutdown) takes the whole group down: SIGTERM, then SIGKILL
 * once the leader is gone or the grace period ends, whichever comes first.
 */
export class CliProcess {
  readonly exited: Promise<CliExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly startedAt = Date.now();
  private stoppedBy: StopReason | null = null;
  private leaderExited = false;
  private timeoutTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;

  private constructor(spec: CliProcessSpec) {
    this.child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.exited = this.watch(spec);
  }

  static start(spec: CliProcessSpec): CliProcess {
    return new CliProcess(spec);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops the run and its whole process group. Idempotent; the first reason sticks. */
  stop(reason: StopReason): void {
    if (this.stoppedBy) return;
    this.stoppedBy = reason;
    if (this.leaderExited) {
      // Exited, but its output is still being read (a slow client held it back): drop the rest.
      this.child.stdout.destroy();
      this.child.stderr.destroy();
      return;
    }
    signalProcessGroup(this.child, 'SIGTERM');
    this.killTimer = setTimeout(() => signalProcessGroup(this.child, 'SIGKILL'), KILL_GRACE_MS);
  }

  /** Shutdown: no grace. */
  killNow(): void {
    this.stoppedBy ??= 'abort';
    signalProcessGroup(this.child, 'SIGKILL');
  }

  /** Backpressure: stop reading stdout while the client cannot take more. */
  pauseOutput(): void {
    this.child.stdout.pause();
  }

  resumeOutput(): void {
    this.child.stdout.resume();
  }

  private watch(spec: CliProcessSpec): Promise<CliExit> {
    const { child } = this;
    return new Promise<CliExit>((resolve) => {
      let settled = false;
      let exitCode: number | null = null;
      let exitSignal: NodeJS.Signals | null = null;
      const stderr: Buffer[] = [];
      let stderrBytes = 0;

      const settle = (result: CliExit): void => {
        if (settled) return;
        settled = true;
        if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
        resolve(result);
      };
      const finish = (): void =>
        settle({
          kind: 'exited',
          code: exitCode,
          signal: exitSignal,
          stoppedBy: this.stoppedBy,
          stderrHead: Buffer.concat(stderr).toString('utf8'),
          durationMs: Date.now() - this.startedAt,
        });

      // Normally stdio closes right after the exit. A process outside the group that
      // inherited the pipe must not hold the request open; a paused (backpressured)
      // stdout still has the CLI's own output to deliver, so it is waited for.
      const cutStrayPipes = (): void => {
        if (settled) return;
        if (child.stdout.readableFlowing === false && !this.stoppedBy) {
          setTimeout(cutStrayPipes, CLOSE_GRACE_MS);
          return;
        }
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      };

      child.once('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) settle({ kind: 'spawn-failed', error });
      });
      child.stdin.on('error', () => {
        // EPIPE: the CLI exited without reading its prompt; the exit status tells why.
      });
      child.stdout.on('data', spec.onStdout);
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderrBytes >= STDERR_HEAD_BYTES) return;
        const slice = chunk.subarray(0, STDERR_HEAD_BYTES - stderrBytes);
        stderr.push(slice);
        stderrBytes += slice.length;
      });
      child.once('exit', (code, signal) => {
        this.leaderExited = true;
        exitCode = code;
        exitSignal = signal;
        // The timeout bounds the CLI's run; a slow client still reading its output is not the CLI.
        if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
        if (this.killTimer) clearTimeout(this.killTimer);
        // Whatever the CLI left behind in its group (tool shells, servers) goes with it.
        signalProcessGroup(child, 'SIGKILL');
        setTimeout(cutStrayPipes, CLOSE_GRACE_MS);
      });
      child.once('close', finish);

      if (child.pid !== undefined) {
        this.timeoutTimer = setTimeout(() => this.stop('timeout'), spec.timeoutMs);
        child.stdin.end(spec.stdin);
      }
    });
  }
}
