import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** Signals `tokenpak run` passes on to the client. SIGINT is not among them: see runClient. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Runs `command args` in the foreground with the terminal (stdio inherited) and resolves with
 * its exit code (128 + n when a signal ended it, as a shell reports it; 127 when it is not found).
 *
 * Ctrl-C: the terminal sends SIGINT to the whole foreground process group, client included, so
 * this process only ignores it (forwarding it would deliver it twice, and a second Ctrl-C quits
 * Claude Code). Other signals sent to this process (`kill <pid>`) are passed to the client.
 */
export function runClient(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; notFound?: boolean }> {
  return new Promise((resolve) => {
    let child: ChildProcess | null = null;
    const ignoreInterrupt = (): void => {};
    const forward = (signal: NodeJS.Signals): void => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const cleanUp = (): void => {
      process.off('SIGINT', ignoreInterrupt);
      for (const signal of FORWARDED) process.off(signal, forward);
    };
    // Before the spawn: once the client runs, it can be seen running (and a signal sent to the group) while this
    // process has not yet been scheduled again; a signal in that window would kill it and orphan the client.
    process.on('SIGINT', ignoreInterrupt);
    for (const signal of FORWARDED) process.on(signal, forward);
    try {
      child = spawn(command, args, { stdio: 'inherit', env, cwd });
    } catch (error) {
      cleanUp();
      throw error;
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanUp();
      resolve(error.code === 'ENOENT' ? { code: 127, notFound: true } : { code: 126 });
    });
    child.once('exit', (code, signal) => {
      cleanUp();
      resolve({ code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0) });
    });
  });
}
