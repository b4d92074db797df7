/**
 * Injection tokens. Every injection names its token explicitly (`@inject(TOKENS.X)`),
 * so nothing depends on `emitDecoratorMetadata` and any transpiler works.
 */
export const TOKENS = {
  /** `ResolvedConfig`: the validated config and where it came from. */
  Config: Symbol.for('tokenpak.Config'),
  /** `RuntimeOptions`: process-level facts (built-in plugin folder, version, clock). */
  Runtime: Symbol.for('tokenpak.Runtime'),
  Logger: Symbol.for('tokenpak.Logger'),
  PlatformBridge: Symbol.for('tokenpak.PlatformBridge'),
  CredentialRegistry: Symbol.for('tokenpak.CredentialRegistry'),
  CredentialPlanner: Symbol.for('tokenpak.CredentialPlanner'),
  UpgradeForwarder: Symbol.for('tokenpak.UpgradeForwarder'),
  ProviderRegistry: Symbol.for('tokenpak.ProviderRegistry'),
  PluginHost: Symbol.for('tokenpak.PluginHost'),
  RouteResolver: Symbol.for('tokenpak.RouteResolver'),
  HttpForwarder: Symbol.for('tokenpak.HttpForwarder'),
  Dispatcher: Symbol.for('tokenpak.Dispatcher'),
  ServerStats: Symbol.for('tokenpak.ServerStats'),
  /** Claude companion (ARCHITECTURE §2.6): the backend and its instance-scoped parts. */
  CompanionBackend: Symbol.for('tokenpak.CompanionBackend'),
  CompanionScheduler: Symbol.for('tokenpak.CompanionScheduler'),
  CompanionSessionStore: Symbol.for('tokenpak.CompanionSessionStore'),
  CompanionStats: Symbol.for('tokenpak.CompanionStats'),
  ClaudeCliProbe: Symbol.for('tokenpak.ClaudeCliProbe'),
  CompanionStatus: Symbol.for('tokenpak.CompanionStatus'),
  ProxyServer: Symbol.for('tokenpak.ProxyServer'),
  /** Request ledger: the writer (and per-request meters), its live feed, and the price table it costs rows with. */
  LedgerRecorder: Symbol.for('tokenpak.LedgerRecorder'),
  LedgerFeed: Symbol.for('tokenpak.LedgerFeed'),
  /** Open upgrades and ledger rows still being measured, shared by every reload generation (shutdown settles them). */
  OpenWork: Symbol.for('tokenpak.OpenWork'),
  PriceBook: Symbol.for('tokenpak.PriceBook'),
  /** Warm companion sessions (ARCHITECTURE §2.6.1). */
  CompanionWarmPool: Symbol.for('tokenpak.CompanionWarmPool'),
  /** The caller's tools through the companion (ARCHITECTURE §2.6.2). */
  CompanionToolTurns: Symbol.for('tokenpak.CompanionToolTurns'),
} as const;
