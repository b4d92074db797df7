import type { TokenPakConfigInput } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startCli, type CliServer } from './cli-process';
import { makeTempDir } from './temp-dir';

export interface CliProxy {
  cli: CliServer;
  url: string;
  configPath: string;
  dir: string;
  /** Stops the process (if still running) and removes the temp folder; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `tokenpak start --config <temp>/tokenpak.config.json` as a child process (the built CLI),
 * with its state and HOME inside the temp folder.
 */
export async function startCliProxy(config: TokenPakConfigInput, env: NodeJS.ProcessEnv = {}): Promise<CliProxy> {
  const temp = makeTempDir('tokenpak-cli-');
  const configPath = path.join(temp.dir, 'tokenpak.config.json');
  const full: TokenPakConfigInput = {
    ...config,
    state: { dir: path.join(temp.dir, 'state'), ...config.state },
    log: { level: 'warn', ...config.log },
  };
  writeFileSync(configPath, JSON.stringify(full, null, 2));
  let cli: CliServer;
  try {
    cli = await startCli(['--config', configPath], { cwd: temp.dir, env: { HOME: temp.dir, ...env } });
  } catch (error) {
    temp.cleanup();
    throw error;
  }
  return {
    cli,
    url: cli.url,
    configPath,
    dir: temp.dir,
    async stop() {
      const code = await cli.stop('SIGTERM');
      temp.cleanup();
      return code;
    },
  };
}
