import { createAdaptorServer } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import http, { type RequestListener, type Server, type ServerOptions } from 'node:http';
import { inject, injectable } from 'tsyringe';
import type { CompanionBackend } from '../backends/companion/companion-backend';
import type { CompanionStatus } from '../backends/companion/companion-status';
import type { Dispatcher } from '../backends/dispatcher';
import type { HttpForwarder } from '../backends/http-forwarder';
import type { UpgradeForwarder } from '../backends/upgrade-forwarder';
import { ConfigError } from '../config/config-error';
import type { ResolvedConfig } from '../config/load-config';
import type { LedgerFeed } from '../ledger/ledger-feed';
import type { LedgerRecorder } from '../ledger/ledger-recorder';
import type { Logger } from '../log/logger';
import type { PluginHost } from '../plugins/plugin-host';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { RouteResolver } from '../routing/route-resolver';
import type { RuntimeOptions } from '../runtime-options';
import { TOKENS } from '../tokens';
import { createApp } from './create-app';
import { hostRequired } from './host-required';
import { createRequestGuard, isLoopbackHost } from './loopback-guard';
import { OpenWork } from './open-work';
import { answerParserRejection } from './parser-rejection';
import type { ServerStats } from './server-stats';
import { serveAsPlainRequest } from './upgrade-as-request';
import { upgradeRoute } from './upgrade-route';

/** How long shutdown waits, after closing what was left, for the rows of cut requests to be recorded. */
const ROWS_SETTLE_MS = 500;

export interface ListeningAddress {
  host: string;
  port: number;
  /** Base URL clients use, e.g. `http://127.0.0.1:8766`. */
  url: string;
}

/** The HTTP server: binds, serves the Hono app, and shuts down gracefully. */
@injectable()
export class ProxyServer {
  private server: Server | null = null;
  private closing: Promise<void> | null = null;
  /** Open upgrades and ledger rows still being measured: settled before shutdown closes the ledger. */
  private readonly openWork = new OpenWork();

  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.Runtime) private readonly runtime: RuntimeOptions,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.ServerStats) private readonly stats: ServerStats,
    @inject(TOKENS.RouteResolver) private readonly resolver: RouteResolver,
    @inject(TOKENS.Dispatcher) private readonly dispatcher: Dispatcher,
    @inject(TOKENS.HttpForwarder) private readonly forwarder: HttpForwarder,
    @inject(TOKENS.PluginHost) private readonly plugins: PluginHost,
    @inject(TOKENS.ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(TOKENS.UpgradeForwarder) private readonly upgrades: UpgradeForwarder,
    @inject(TOKENS.CompanionBackend) private readonly companion: CompanionBackend,
    @inject(TOKENS.CompanionStatus) private readonly companionStatus: CompanionStatus,
    @inject(TOKENS.LedgerRecorder) private readonly ledger: LedgerRecorder,
    @inject(TOKENS.LedgerFeed) private readonly ledgerFeed: LedgerFeed,
  ) {}

  async listen(): Promise<ListeningAddress> {
    const { server: serverConfig, routing, log } = this.resolved.config;
    if (!isLoopbackHost(serverConfig.host) && !serverConfig.authToken) {
      throw new ConfigError(this.resolved.source ?? 'environment', [
        { path: 'server.host', message: `"${serverConfig.host}" is not a loopback address: set server.authToken (or TOKENPAK_AUTH_TOKEN) to expose TokenPak beyond this machine` },
      ]);
    }
    const guard = { boundHost: serverConfig.host, allowedOrigins: serverConfig.allowedOrigins, authToken: serverConfig.authToken };
    const app = createApp({
      runtime: this.runtime,
      stats: this.stats,
      plugins: this.plugins,
      providers: this.providers,
      companion: this.companionStatus,
      resolver: this.resolver,
      dispatcher: this.dispatcher,
      logger: this.logger,
      maxInspectBytes: routing.maxInspectBytes,
      dumpHeaders: log.dumpHeaders,
      ledger: this.ledger,
      feed: this.ledgerFeed,
      guard,
      openWork: this.openWork,
    });
    // Open the ledger now, so a file problem is reported at start rather than at the first request.
    this.ledger.open();
    // `requireHostHeader: false`: a request without `Host` is answered by host-required.ts, in the caller's API shape.
    const server = createAdaptorServer({
      fetch: app.fetch,
      overrideGlobalObjects: false,
      autoCleanupIncoming: false,
      serverOptions: { requireHostHeader: false },
      createServer: ((options: ServerOptions, listener: RequestListener) => http.createServer(options, hostRequired(listener))) as typeof http.createServer,
    }) as Server;
    // Slow or stuck clients must not pin sockets forever (ARCHITECTURE §6); bodies may stream for long.
    server.headersTimeout = 30_000;
    server.requestTimeout = 0;
    server.keepAliveTimeout = 65_000;
    server.on(
      'upgrade',
      upgradeRoute({
        resolver: this.resolver,
        upgrades: this.upgrades,
        providers: this.providers,
        stats: this.stats,
        logger: this.logger,
        ledger: this.ledger,
        openWork: this.openWork,
        dumpHeaders: log.dumpHeaders,
        guard: createRequestGuard(guard),
        servePlain: (incoming, socket, head) => serveAsPlainRequest(server, incoming, socket, head),
      }),
    );
    server.on('clientError', (error: Error & { code?: string }, socket) => {
      const status = answerParserRejection(error, socket);
      this.logger.debug('bad client request', { error: error.message, code: error.code, status });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(serverConfig.port, serverConfig.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.address();
  }

  address(): ListeningAddress {
    if (!this.server) throw new Error('the server is not listening');
    const { port, address } = this.server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return { host: address, port, url: `http://${host}:${port}` };
  }

  /**
   * Stops accepting, sends close 1001 on open WebSockets, lets in-flight requests (open
   * streams and sockets included) finish for up to `server.shutdownTimeoutMs`, then closes
   * what is left, records the rows of what it cut, and only then closes the ledger.
   */
  shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    this.openWork.goingAway();
    const deadline = Date.now() + this.resolved.config.server.shutdownTimeoutMs;
    while (this.stats.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      server.closeIdleConnections();
    }
    if (this.stats.inFlight > 0) this.logger.warn(`shutdown timeout: closing ${this.stats.inFlight} request(s) still in flight`);
    server.closeAllConnections();
    // Upgraded sockets are no longer the HTTP server's to close, but still hold `close()` open.
    this.openWork.destroyUpgrades();
    await closed;
    if (!(await this.openWork.rowsRecorded(ROWS_SETTLE_MS))) this.logger.warn('shutdown: some ledger rows were still being measured and are lost');
    this.forwarder.close();
    await this.companion.close();
    await this.ledger.close();
    this.plugins.unloadAll();
    this.server = null;
  }
}
