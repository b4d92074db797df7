/** Where a command writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const processIo = (): CliIo => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});

/** Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration, 64 usage error. */
export const ExitCode = { ok: 0, failure: 1, badConfig: 2, usage: 64 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
