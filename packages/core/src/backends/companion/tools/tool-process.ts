import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseCliLine } from '../cli/cli-records';
import { LineSplitter } from '../cli/line-splitter';
import { signalProcessGroup } from '../cli/process-group';
import type { CallerTool } from './caller-tools';
import { ToolSession } from './tool-session';

/** A stdout line longer than this is a protocol error (a 500,000-character tool result echoed back fits). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** SIGTERM first; whatever is left of the group gets SIGKILL after this. */
const KILL_GRACE_MS = 300;
const STDERR_HEAD_BYTES = 8 * 1024;

export interface ToolProcessSpec {
  command: string;
  /** Base argv (print mode, stream-json both ways, partial messages, model); the tool flags are added here. */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  tools: readonly CallerTool[];
  toolResultTimeoutMs: number;
  /** The caller did not come back in time. */
  onAbandoned(): void;
}

/** How the process ended: by itself (code/signal) or because TokenPak ended it. */
export interface ToolProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  endedByTokenPak: boolean;
  /** First bytes of stderr (redact before showing). */
  stderrHead: string;
  spawnError: NodeJS.ErrnoException | null;
}

/**
 * One long-lived `claude -p --input-format stream-json` process serving the caller's tools:
 * stdin stays open (the in-band MCP answers and later user lines go there), stdout feeds the
 * ToolSession line by line. Spawned as the leader of its own process group, so ending it takes
 * everything it started along.
 */
export class ToolProcess {
  readonly session: ToolSession;
  readonly exited: Promise<ToolProcessExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private endedByTokenPak = false;
  private done = false;

  constructor(spec: ToolProcessSpec) {
    this.child = spawn(spec.command, [...spec.args, ...ToolSession.cliArguments(spec.tools)], {
      cwd: spec.cwd,
      env: { ...spec.env, ...ToolSession.environment(spec.toolResultTimeoutMs) },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.session = new ToolSession({
      tools: spec.tools,
      toolResultTimeoutMs: spec.toolResultTimeoutMs,
      write: (line) => {
        if (this.child.stdin.writable) this.child.stdin.write(`${line}\n`);
      },
      onAbandoned: spec.onAbandoned,
    });
    this.exited = this.watch();
    this.child.stdin.write(`${this.session.initializeLine()}\n`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.done;
  }

  /** Ends the process and its group (SIGTERM, then SIGKILL). Idempotent. */
  end(): void {
    if (this.done) return;
    this.endedByTokenPak = true;
    this.session.dispose();
    this.child.stdin.end();
    signalProcessGroup(this.child, 'SIGTERM');
    const timer = setTimeout(() => signalProcessGroup(this.child, 'SIGKILL'), KILL_GRACE_MS);
    timer.unref();
  }

  /** Shutdown: no grace. */
  killNow(): void {
    this.endedByTokenPak = true;
    this.session.dispose();
    signalProcessGroup(this.child, 'SIGKILL');
  }

  private watch(): Promise<ToolProcessExit> {
    const { child } = this;
    let stderr = '';
    const splitter = new LineSplitter((line) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        return; // not a record (the CLI's stray output): nothing to act on
      }
      this.session.takeStdout(json, parseCliLine(line));
    }, MAX_LINE_BYTES);
    child.stdout.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch {
        this.end();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_HEAD_BYTES) stderr += chunk.toString('utf8').slice(0, STDERR_HEAD_BYTES - stderr.length);
    });
    child.stdin.on('error', () => {
      // EPIPE: the CLI exited; its exit tells why.
    });
    return new Promise<ToolProcessExit>((resolve) => {
      const settle = (exit: Omit<ToolProcessExit, 'endedByTokenPak' | 'stderrHead'>): void => {
        if (this.done) return;
        this.done = true;
        this.session.dispose();
        // Whatever the CLI left behind in its group goes with it.
        signalProcessGroup(child, 'SIGKILL');
        resolve({ ...exit, endedByTokenPak: this.endedByTokenPak, stderrHead: stderr });
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) settle({ code: null, signal: null, spawnError: error });
      });
      // Output is read to its end ('close') before the exit counts; the group goes at 'exit'.
      child.once('exit', () => signalProcessGroup(child, 'SIGKILL'));
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => settle({ code, signal, spawnError: null }));
    });
  }
}
