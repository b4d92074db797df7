import { createLogger, createTokenPak, loadConfig, type TokenPak, type TokenPakConfigInput } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './temp-dir';

export interface RunningProxy {
  url: string;
  tokenpak: TokenPak;
  /** Every log line the proxy wrote. */
  logs: string[];
  configPath: string;
  dir: string;
  stop(): Promise<void>;
}

/** Provider upstreams all pointed at one mock. */
export function upstreamsAt(url: string): TokenPakConfigInput['providers'] {
  return {
    'tokenpak-anthropic': { upstream: url },
    'tokenpak-openai': { upstream: url },
    'tokenpak-claude-code': { upstream: url },
    'tokenpak-openai-codex': { upstream: url },
  };
}

/**
 * The real server in-process on an ephemeral loopback port, with a config file written
 * to a temp folder (so loading, plugin discovery and path resolution are the real ones).
 */
export async function startProxy(config: TokenPakConfigInput = {}, env: NodeJS.ProcessEnv = {}): Promise<RunningProxy> {
  const temp = makeTempDir();
  const configPath = path.join(temp.dir, 'tokenpak.config.json');
  const full: TokenPakConfigInput = {
    ...config,
    server: { port: 0, shutdownTimeoutMs: 2000, ...config.server },
    state: { dir: path.join(temp.dir, 'state'), ...config.state },
    log: { level: 'debug', ...config.log },
  };
  writeFileSync(configPath, JSON.stringify(full, null, 2));
  const loadOptions = { configPath, env: { HOME: temp.dir, ...env } };
  const resolved = await loadConfig(loadOptions);
  const logs: string[] = [];
  // The load options go along so `tokenpak.reload()` re-reads the same file.
  const tokenpak = await createTokenPak({
    ...loadOptions,
    config: resolved,
    logger: createLogger(resolved.config.log.level, { write: (line) => void logs.push(line) }),
  });
  const address = await tokenpak.listen();
  return {
    url: address.url,
    tokenpak,
    logs,
    configPath,
    dir: temp.dir,
    async stop() {
      await tokenpak.shutdown();
      temp.cleanup();
    },
  };
}
