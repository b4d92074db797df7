import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The bench's child servers: started here, each in its own process so none shares an
 * event loop with the load generator, and all of them stopped whatever way the bench
 * ends (normal end, error, Ctrl-C, SIGTERM).
 */

export interface ServerChild {
  name: string;
  pid: number;
  /** `http://127.0.0.1:<port>`, as announced by the child. */
  url: string;
  process: ChildProcess;
}

export interface ServerChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

/** Every server the bench owns and TokenPak included; matches `<name> listening on http://127.0.0.1:<port>`. */
const READY_LINE = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const STDERR_TAIL_LINES = 20;
const UNEXPECTED_EXIT_GRACE_MS = 250;

/** The same warning a thousand times would bury the progress lines: echo a few, count the rest. */
const ECHOED_REPEATS = 3;
const stderrLineCounts = new Map<string, number>();

function echoStderrLine(name: string, line: string): void {
  const key = `[${name}] ${line}`;
  const seen = (stderrLineCounts.get(key) ?? 0) + 1;
  stderrLineCounts.set(key, seen);
  if (seen <= ECHOED_REPEATS) process.stderr.write(`${key}${seen === ECHOED_REPEATS ? '  (further repeats counted, not shown)' : ''}\n`);
}

/** Child stderr lines that repeated more often than were shown, with their total counts. */
export function repeatedChildStderr(): { line: string; count: number }[] {
  return [...stderrLineCounts].filter(([, count]) => count > ECHOED_REPEATS).map(([line, count]) => ({ line, count }));
}

/** In start order: stopped in reverse, so proxies go before the upstream they forward to. */
const running: ChildProcess[] = [];
let stopping = false;
let onUnexpectedExit: (name: string, detail: string) => void = () => undefined;

/** What to do when a child dies while the bench still needs it (the bench cannot go on). */
export function whenAChildDiesUnexpectedly(handler: (name: string, detail: string) => void): void {
  onUnexpectedExit = handler;
}

export function startServerChild(spec: ServerChildSpec): Promise<ServerChild> {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    // stdin stays a pipe: our own children exit when it closes (parent gone).
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.push(child);
  const stderrTail: string[] = [];

  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    for (const line of text.split('\n').filter(Boolean)) {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      // A quiet child (log level warn) only writes here when something is worth seeing.
      echoStderrLine(spec.name, line);
    }
  });

  return new Promise<ServerChild>((resolve, reject) => {
    let ready = false;
    let stdoutSoFar = '';
    const timer = setTimeout(() => {
      reject(new Error(`${spec.name} did not print its listening line within ${spec.readyTimeoutMs ?? 30_000} ms`));
      child.kill('SIGKILL');
    }, spec.readyTimeoutMs ?? 30_000);

    child.stdout!.setEncoding('utf8');
    // Keep reading stdout for the child's whole life: a full pipe would block it.
    child.stdout!.on('data', (text: string) => {
      if (ready) return;
      stdoutSoFar += text;
      const match = READY_LINE.exec(stdoutSoFar);
      if (!match) return;
      ready = true;
      clearTimeout(timer);
      resolve({ name: spec.name, pid: child.pid!, url: match[1]!, process: child });
    });

    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} could not be started: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const detail = `exited with ${signal ?? `code ${code}`}${stderrTail.length ? `; last stderr:\n  ${stderrTail.join('\n  ')}` : ''}`;
      if (!ready) {
        reject(new Error(`${spec.name} ${detail}`));
        return;
      }
      // Ctrl-C in a terminal signals the whole process group: a child may exit before our
      // own SIGINT handler has run. Give that handler a moment before calling it a crash.
      setTimeout(() => {
        if (!stopping) onUnexpectedExit(spec.name, detail);
      }, UNEXPECTED_EXIT_GRACE_MS);
    });
  });
}

const isAlive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      if (isAlive(child)) child.kill('SIGKILL');
      resolve();
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** SIGTERM each child, newest first, escalating to SIGKILL for any still running after `graceMs`. */
export async function stopAllChildren(graceMs = 3_000): Promise<void> {
  stopping = true;
  for (const child of [...running].reverse()) await stopChild(child, graceMs);
}

/** Last resort on the way out: `exit` handlers cannot wait, so no grace period. */
function killAllNow(): void {
  stopping = true;
  for (const child of running) if (isAlive(child)) child.kill('SIGKILL');
}

/**
 * Ctrl-C / SIGTERM: stop the children, then exit with the conventional 128+signal code;
 * a second signal exits at once (the `exit` hook still SIGKILLs the children).
 * Any other way out (an uncaught exception included) kills them on `exit` too.
 * `onExit` (e.g. removing temporary files) runs in every case; it must be synchronous.
 */
export function stopChildrenOnExit(onExit: () => void): void {
  process.on('exit', () => {
    killAllNow();
    onExit();
  });
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals, code: number): void => {
    if (interrupted) process.exit(code);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the bench's child processes\n`);
    void stopAllChildren(1_000).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => interrupt('SIGINT', 130));
  process.on('SIGTERM', () => interrupt('SIGTERM', 143));
}
