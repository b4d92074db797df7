import 'reflect-metadata';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { ClaudeCliProbe } from './backends/companion/cli/cli-version-probe';
import { CompanionBackend } from './backends/companion/companion-backend';
import { CompanionStats } from './backends/companion/companion-stats';
import { CompanionStatus } from './backends/companion/companion-status';
import { RunScheduler } from './backends/companion/session/run-scheduler';
import { CompanionSessionStore } from './backends/companion/session/session-store';
import { WarmPool } from './backends/companion/session/warm-pool';
import { CompanionToolTurns } from './backends/companion/tools/companion-tool-turns';
import { Dispatcher } from './backends/dispatcher';
import { HttpForwarder } from './backends/http-forwarder';
import { UpgradeForwarder } from './backends/upgrade-forwarder';
import { PlatformBridge } from './bridge/platform-bridge';
import type { ResolvedConfig } from './config/load-config';
import { CredentialPlanner } from './credentials/credential-planner';
import { CredentialRegistry } from './credentials/credential-registry';
import { LedgerFeed } from './ledger/ledger-feed';
import { OpenWork } from './server/open-work';
import { LedgerRecorder } from './ledger/ledger-recorder';
import { createLogger, type Logger } from './log/logger';
import { PluginHost } from './plugins/plugin-host';
import { loadPriceBook } from './pricing/load-price-book';
import { ProviderRegistry } from './providers/provider-registry';
import { RouteResolver } from './routing/route-resolver';
import type { RuntimeOptions } from './runtime-options';
import { ProxyServer } from './server/proxy-server';
import { ServerStats } from './server/server-stats';
import { TOKENS } from './di-tokens';

export { TOKENS } from './di-tokens';

export interface ContainerOptions {
  config: ResolvedConfig;
  runtime: RuntimeOptions;
  /** Default: a logger at `log.level` writing to stderr. */
  logger?: Logger;
}

/**
 * A fresh container holding one of everything: bridge, registries, plugin host,
 * resolver, forwarder, companion, server. Each call is independent (tests build one each), and
 * nothing is registered on tsyringe's global container.
 */
export function createContainer(options: ContainerOptions): DependencyContainer {
  const container = rootContainer.createChildContainer();
  container.register(TOKENS.Config, { useValue: options.config });
  container.register(TOKENS.Runtime, { useValue: options.runtime });
  container.register(TOKENS.Logger, { useValue: options.logger ?? createLogger(options.config.config.log.level) });
  container.registerSingleton(TOKENS.PlatformBridge, PlatformBridge);
  container.registerSingleton(TOKENS.CredentialRegistry, CredentialRegistry);
  container.registerSingleton(TOKENS.CredentialPlanner, CredentialPlanner);
  container.registerSingleton(TOKENS.UpgradeForwarder, UpgradeForwarder);
  container.registerSingleton(TOKENS.ProviderRegistry, ProviderRegistry);
  container.registerSingleton(TOKENS.PluginHost, PluginHost);
  container.registerSingleton(TOKENS.RouteResolver, RouteResolver);
  container.registerSingleton(TOKENS.HttpForwarder, HttpForwarder);
  container.registerSingleton(TOKENS.CompanionScheduler, RunScheduler);
  container.registerSingleton(TOKENS.CompanionSessionStore, CompanionSessionStore);
  container.registerSingleton(TOKENS.CompanionStats, CompanionStats);
  container.registerSingleton(TOKENS.CompanionToolTurns, CompanionToolTurns);
  container.registerSingleton(TOKENS.ClaudeCliProbe, ClaudeCliProbe);
  container.registerSingleton(TOKENS.CompanionStatus, CompanionStatus);
  container.registerSingleton(TOKENS.CompanionBackend, CompanionBackend);
  container.registerSingleton(TOKENS.CompanionWarmPool, WarmPool);
  container.registerSingleton(TOKENS.Dispatcher, Dispatcher);
  container.registerSingleton(TOKENS.ServerStats, ServerStats);
  container.registerSingleton(TOKENS.ProxyServer, ProxyServer);
  container.registerSingleton(TOKENS.LedgerFeed, LedgerFeed);
  container.registerSingleton(TOKENS.OpenWork, OpenWork);
  container.register(TOKENS.PriceBook, {
    useFactory: instanceCachingFactory((c) => loadPriceBook(options.config.config.pricing, c.resolve<Logger>(TOKENS.Logger))),
  });
  container.registerSingleton(TOKENS.LedgerRecorder, LedgerRecorder);
  return container;
}
