import { createLogger, createTokenPak, loadConfig, type ResolvedConfig, type TokenPak } from '@tokenpak/core';
import type { CliIo } from '../io';

/** `--config <file>`: every command that reads config takes it. */
export const configOption = { config: { type: 'string', short: 'c' } } as const;

export function loadCliConfig(io: CliIo, configPath: string | undefined): Promise<ResolvedConfig> {
  return loadConfig({ configPath, cwd: io.cwd, env: io.env });
}

/**
 * Config and plugins loaded, not listening: what `plugins`, `route` and `config`
 * inspect. Plugin problems are reported by the command itself, so logging is off.
 */
export async function loadTokenPak(io: CliIo, configPath: string | undefined): Promise<TokenPak> {
  const config = await loadCliConfig(io, configPath);
  return createTokenPak({ config, logger: createLogger('silent') });
}
