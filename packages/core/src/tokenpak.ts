import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { PlatformBridge } from './bridge/platform-bridge';
import { loadConfig, type LoadConfigOptions, type ResolvedConfig } from './config/load-config';
import { createContainer } from './container';
import type { Logger } from './log/logger';
import type { PluginHost } from './plugins/plugin-host';
import type { PluginReport } from './plugins/types';
import type { RouteResolver } from './routing/route-resolver';
import type { RuntimeOptions } from './runtime-options';
import type { ListeningAddress, ProxyServer } from './server/proxy-server';
import { TOKENS } from './tokens';

/** `packages/core` (works from `src/` under ts-jest and from `dist/` when built). */
const CORE_ROOT = path.resolve(__dirname, '..');

/** The repository's `plugins/` folder, where the built-in plugins live. */
export function defaultBuiltinPluginsDir(): string | null {
  const dir = path.resolve(CORE_ROOT, '..', '..', 'plugins');
  return existsSync(dir) ? dir : null;
}

export function coreVersion(): string {
  return (JSON.parse(readFileSync(path.join(CORE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface TokenPakOptions extends LoadConfigOptions {
  /** An already loaded config (skips `loadConfig`). */
  config?: ResolvedConfig;
  runtime?: Partial<RuntimeOptions>;
  logger?: Logger;
}

/** A loaded TokenPak: config read, container built, plugins set up; not yet listening. */
export interface TokenPak {
  container: DependencyContainer;
  config: ResolvedConfig;
  plugins: readonly PluginReport[];
  bridge: PlatformBridge;
  resolver: RouteResolver;
  server: ProxyServer;
  listen(): Promise<ListeningAddress>;
  shutdown(): Promise<void>;
}

/** Loads config and plugins into a fresh container (what `tokenpak start` does before listening). */
export async function createTokenPak(options: TokenPakOptions = {}): Promise<TokenPak> {
  const config = options.config ?? (await loadConfig(options));
  const runtime: RuntimeOptions = {
    builtinPluginsDir: options.runtime?.builtinPluginsDir === undefined ? defaultBuiltinPluginsDir() : options.runtime.builtinPluginsDir,
    version: options.runtime?.version ?? coreVersion(),
    ...(options.runtime?.pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs: options.runtime.pluginTimeoutMs }),
  };
  const container = createContainer({ config, runtime, logger: options.logger });
  const plugins = await container.resolve<PluginHost>(TOKENS.PluginHost).loadAll();
  const server = container.resolve<ProxyServer>(TOKENS.ProxyServer);
  return {
    container,
    config,
    plugins,
    bridge: container.resolve<PlatformBridge>(TOKENS.PlatformBridge),
    resolver: container.resolve<RouteResolver>(TOKENS.RouteResolver),
    server,
    listen: () => server.listen(),
    shutdown: () => server.shutdown(),
  };
}
