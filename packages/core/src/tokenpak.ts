import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { PlatformBridge } from './bridge/platform-bridge';
import { loadConfig, type LoadConfigOptions, type ResolvedConfig } from './config/load-config';
import { createContainer } from './container';
import type { LedgerRecorder } from './ledger/ledger-recorder';
import { errorMessage } from './log/error-message';
import { createLogger, type Logger } from './log/logger';
import type { PluginHost } from './plugins/plugin-host';
import type { PluginReport } from './plugins/types';
import { Generation } from './reload/generation';
import { restartOnlyChanges } from './reload/restart-only-keys';
import { createGenerationContainer } from './reload/shared-services';
import type { RouteResolver } from './routing/route-resolver';
import type { RuntimeOptions } from './runtime-options';
import type { ListeningAddress, ProxyServer } from './server/proxy-server';
import { TOKENS } from './di-tokens';

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
  /** An already loaded config (skips `loadConfig`; `reload` still re-reads from `configPath` / `cwd` / `env`). */
  config?: ResolvedConfig;
  runtime?: Partial<RuntimeOptions>;
  logger?: Logger;
}

/** What `reload()` did. On failure the running generation is untouched. */
export type ReloadOutcome =
  | {
      ok: true;
      /** The new generation's number (1 is the one `start` built). */
      generation: number;
      configSource: string | null;
      plugins: readonly PluginReport[];
      /** Changed keys that only take effect at the next start (restart-only-keys.ts). */
      restartNeeded: string[];
    }
  | { ok: false; generation: number; error: string };

/** What shutdown could not finish cleanly. */
export interface ShutdownOutcome {
  /** The ledger's worker thread is blocked in the filesystem: the process cannot exit normally (see the CLI). */
  ledgerWorkerStuck: boolean;
}

/**
 * A loaded TokenPak: config read, container built, plugins set up; not yet listening.
 * `container`, `config`, `plugins`, `bridge`, `resolver` are the current generation's
 * (they change on `reload`).
 */
export interface TokenPak {
  readonly container: DependencyContainer;
  readonly config: ResolvedConfig;
  readonly plugins: readonly PluginReport[];
  readonly bridge: PlatformBridge;
  readonly resolver: RouteResolver;
  /** The listening server (the first generation's; it stays for the life of the process). */
  readonly server: ProxyServer;
  /** The current generation's number: 1 at start, +1 per successful reload. */
  readonly generation: number;
  listen(): Promise<ListeningAddress>;
  /**
   * Re-reads the config and plugins (ARCHITECTURE §7): new requests use them, requests and
   * streams in flight finish on the old generation, which is then disposed. An invalid
   * config (or any failure building the new generation) keeps the running one and is logged.
   * Reloads run one at a time. Never rejects.
   */
  reload(): Promise<ReloadOutcome>;
  shutdown(): Promise<ShutdownOutcome>;
}

/** Loads config and plugins into a fresh container (what `tokenpak start` does before listening). */
export async function createTokenPak(options: TokenPakOptions = {}): Promise<TokenPak> {
  const config = options.config ?? (await loadConfig(options));
  const runtime: RuntimeOptions = {
    builtinPluginsDir: options.runtime?.builtinPluginsDir === undefined ? defaultBuiltinPluginsDir() : options.runtime.builtinPluginsDir,
    version: options.runtime?.version ?? coreVersion(),
    ...(options.runtime?.pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs: options.runtime.pluginTimeoutMs }),
  };
  // One logger for every generation: `log.level` is a restart-only key.
  const logger = options.logger ?? createLogger(config.config.log.level);
  const firstContainer = createContainer({ config, runtime, logger });
  const first = new Generation(1, firstContainer, config, await firstContainer.resolve<PluginHost>(TOKENS.PluginHost).loadAll());
  const server = firstContainer.resolve<ProxyServer>(TOKENS.ProxyServer);
  const reloadLog = logger.child('reload');

  let current = first;
  /** Replaced generations still serving requests; disposed when they drain, or at shutdown. */
  const retiring = new Set<Generation>();
  let reloads: Promise<unknown> = Promise.resolve();
  let stopping = false;

  const buildNext = async (): Promise<ReloadOutcome> => {
    if (stopping) return { ok: false, generation: current.id, error: 'TokenPak is shutting down' };
    let next: Generation | null = null;
    try {
      const nextConfig = await loadConfig(options);
      const container = createGenerationContainer(firstContainer, { config: nextConfig, runtime, logger });
      // Built before the swap: a failure here leaves the running generation untouched.
      const plugins = await container.resolve<PluginHost>(TOKENS.PluginHost).loadAll();
      next = new Generation(current.id + 1, container, nextConfig, plugins);
      if (stopping) throw new Error('TokenPak is shutting down');
      const previous = current;
      server.serve(next.handler);
      current = next;
      retiring.add(previous);
      previous.retire().then(
        () => retiring.delete(previous),
        (error: unknown) => reloadLog.warn(`generation ${previous.id} did not dispose cleanly: ${errorMessage(error)}`),
      );
      const restartNeeded = restartOnlyChanges(previous.config.config, nextConfig.config);
      for (const report of plugins.filter((plugin) => plugin.state === 'failed'))
        reloadLog.warn(`plugin ${report.name} in ${report.folder} was not loaded: ${report.reason}`);
      reloadLog.info(
        `reloaded: generation ${next.id} serves new requests (config: ${nextConfig.source ?? 'built-in defaults'}); ${previous.active} request(s) in flight finish on generation ${previous.id}`,
      );
      if (restartNeeded.length > 0) reloadLog.warn(`changed, but only applied at the next start: ${restartNeeded.join(', ')}`);
      return { ok: true, generation: next.id, configSource: nextConfig.source, plugins, restartNeeded };
    } catch (error) {
      if (next && next !== current) await next.dispose().catch(() => undefined);
      const message = errorMessage(error);
      reloadLog.error(`reload failed, still serving generation ${current.id} (the previous config): ${message}`);
      return { ok: false, generation: current.id, error: message };
    }
  };

  return {
    get container() {
      return current.container;
    },
    get config() {
      return current.config;
    },
    get plugins() {
      return current.plugins;
    },
    get bridge() {
      return current.container.resolve<PlatformBridge>(TOKENS.PlatformBridge);
    },
    get resolver() {
      return current.container.resolve<RouteResolver>(TOKENS.RouteResolver);
    },
    get generation() {
      return current.id;
    },
    server,
    listen: () => server.listen(first.handler),
    reload() {
      const outcome = reloads.then(buildNext);
      reloads = outcome;
      return outcome;
    },
    async shutdown() {
      stopping = true;
      // Drains every generation's requests (the counters are shared) and closes the first generation and the ledger.
      await server.shutdown();
      await Promise.allSettled([current, ...retiring].map((generation) => generation.dispose()));
      return { ledgerWorkerStuck: firstContainer.resolve<LedgerRecorder>(TOKENS.LedgerRecorder).stuck };
    },
  };
}
