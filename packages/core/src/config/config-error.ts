/** An invalid configuration: startup stops (exit code 2) with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The file (or `environment`) the bad value came from. */
    readonly source: string,
    readonly problems: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(`invalid TokenPak config in ${source}:\n` + problems.map((problem) => `  - ${problem.path || '(top level)'}: ${problem.message}`).join('\n'));
  }
}
