/**
 * @tokenpak/core: the proxy. Plugins need only the plugin API (re-exported first);
 * the CLI and tests use the rest.
 */
import 'reflect-metadata';

export * from './plugin-api';

export {
  createTokenPak,
  defaultBuiltinPluginsDir,
  coreVersion,
  type TokenPak,
  type TokenPakOptions,
  type ReloadOutcome,
  type ShutdownOutcome,
} from './tokenpak';
export { createContainer, TOKENS, type ContainerOptions } from './container';
export type { RuntimeOptions } from './runtime-options';

export { loadConfig, CONFIG_SEARCH_PLACES, type ResolvedConfig, type LoadConfigOptions } from './config/load-config';
export { configSchema, type TokenPakConfig, type TokenPakConfigInput } from './config/schema';
export { configJsonSchema, defaultConfig } from './config/json-schema';
export { ConfigError } from './config/config-error';
export { ENV_OVERRIDES } from './config/env-overrides';

export { PlatformBridge } from './bridge/platform-bridge';
export type { PlatformMatch } from './bridge/types';
export { CredentialRegistry, CALLER_CREDENTIALS } from './credentials/credential-registry';
export { ProviderRegistry } from './providers/provider-registry';
export { PluginHost } from './plugins/plugin-host';

export { RouteResolver } from './routing/route-resolver';
export { explainRoute, type RouteQuery, type RouteExplanation } from './routing/explain-route';
export { formatRouteHeader, parseRouteHeader } from './routing/route-header';
export { authShape, type AuthShape } from './routing/auth-shape';
export { resolveProvider } from './routing/resolve-provider';
export { classifyRoute } from './routing/route-classifier';
export { selectBackend } from './routing/backend-selector';
export { Provider, ROUTE_CLASSES, type RouteDecision, type RouteClass, type Backend, type Via, type ProviderSource } from './decision/route-decision';

export { ProxyServer, type ListeningAddress } from './server/proxy-server';
export { statusSnapshot } from './server/control-routes';
export { HeaderName } from './http/header-names';
export { createLogger, type Logger, type LogLevel, type LogSink } from './log/logger';
export { redactText, redactHeaderValue, redactObject } from './log/redact';

export { LedgerRecorder } from './ledger/ledger-recorder';
export { LedgerFeed } from './ledger/ledger-feed';
export { ledgerFileIn, openLedgerForReading, LEDGER_FILE_NAME } from './ledger/ledger-store';
export {
  listRequests,
  rowsAfter,
  latestId,
  summarize,
  GROUP_KEYS,
  type GroupKey,
  type RowFilter,
  type StatsReport,
  type StatsTotals,
  type StatsGroup,
} from './ledger/ledger-queries';
export { rowToJson, type LedgerRow, type LedgerRowJson } from './ledger/ledger-row';
export { parseSince, TimeWindowError } from './ledger/time-window';
export { schemaVersion } from './ledger/schema-version';
export { LATEST_SCHEMA_VERSION } from './ledger/migrations';
export { PriceBook } from './pricing/price-book';
export { loadPriceBook, DEFAULT_PRICE_FILE } from './pricing/load-price-book';
export type { ModelPrice } from './config/model-price-schema';
export type { TokenUsage } from './usage/token-usage';
export { describeToolPolicy } from './backends/companion/companion-status';
