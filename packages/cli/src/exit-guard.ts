import { redactText } from '@tokenpak/core';

/** What `start` is doing, for the message when the process ends on its own. */
export type StartPhase = 'starting' | 'running' | 'stopping';

export interface ExitGuard {
  phase: StartPhase;
  /** Removes the handlers (a normal, requested exit follows). */
  release(): void;
}

/**
 * `tokenpak start` never exits silently (ARCHITECTURE §7). Until released it turns each way
 * a process can end on its own into a message on stderr and exit code 1, after `cleanup`
 * (synchronous: removing the pid file):
 * * the event loop emptying (e.g. a plugin's `setup()` returned a promise that never settles
 *   and nothing else is left to run; Node would exit 0 with no output);
 * * an uncaught exception or an unhandled promise rejection (message and stack redacted).
 */
export function guardExit(write: (text: string) => void, cleanup: () => void): ExitGuard {
  const fail = (reason: string): never => {
    try {
      write(`tokenpak: ${redactText(reason)}\n`);
      cleanup();
    } catch {
      // stderr closed or the state dir gone: still exit 1 below
    }
    process.exit(1);
  };
  const onBeforeExit = (): void => {
    const doing = { starting: 'while starting', running: 'while serving', stopping: 'before shutdown finished' }[guard.phase];
    const hint =
      guard.phase === 'starting' ? ' (something it waited for never settled and nothing else was left to run: e.g. a plugin whose setup() never resolves)' : '';
    fail(`stopped unexpectedly ${doing}: the event loop emptied${hint}`);
  };
  const onUncaught = (error: unknown): void => fail(`fatal: uncaught exception${guard.phase === 'starting' ? ' while starting' : ''}: ${describe(error)}`);
  const onUnhandled = (reason: unknown): void => fail(`fatal: unhandled promise rejection: ${describe(reason)}`);
  const guard: ExitGuard = {
    phase: 'starting',
    release() {
      process.off('beforeExit', onBeforeExit);
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUnhandled);
    },
  };
  process.on('beforeExit', onBeforeExit);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  return guard;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
