import type { ResolvedConfig } from '@tokenpak/core';
import { homeDir } from '../home-dir';
import { proxyUrl } from '../proxy-url';
import type { IntegrationContext } from './client-integration';

export function integrationContext(resolved: ResolvedConfig, env: NodeJS.ProcessEnv): IntegrationContext {
  return { env, home: homeDir(env), proxyUrl: proxyUrl(resolved.config), codexAuthFile: resolved.config.credentials.codex };
}
