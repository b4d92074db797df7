import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import http, { type IncomingMessage, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
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
import { errorMessage } from '../log/error-message';
import type { PluginHost } from '../plugins/plugin-host';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { RouteResolver } from '../routing/route-resolver';
import type { RuntimeOptions } from '../runtime-options';
import { TOKENS } from '../di-tokens';
import { createApp } from './create-app';
import { dataPlane } from './data-plane';
import { directDataPlane } from './direct-data-plane';
import { hostRequired } from './host-required';
import { createRequestGuard, isLoopbackHost } from './loopback-guard';
import type { OpenWork } from './open-work';
import { answerParserRejection } from './parser-rejection';
import type { RequestHandler } from './request-handler';
import type { ServerStats } from './server-stats';
import { serveAsPlainRequest } from './upgrade-as-request';
import { isWebSocketUpgrade, upgradeRoute } from './upgrade-route';

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
  /** The current generation's handler (reload swaps it, see `serve`). */
  private handler: RequestHandler | null = null;

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
    /** Shared by every reload generation: shutdown (on the listening server) must settle all their sockets and rows. */
    @inject(TOKENS.OpenWork) private readonly openWork: OpenWork,
  ) {}

  /** This container's app and upgrade handler: what `listen` serves, and what a reload generation hands to `serve`. */
  createHandler(): RequestHandler {
    const { server: serverConfig, routing, log } = this.resolved.config;
    if (!isLoopbackHost(serverConfig.host) && !serverConfig.authToken) {
      throw new ConfigError(this.resolved.source ?? 'environment', [
        {
          path: 'server.host',
          message: `"${serverConfig.host}" is not a loopback address: set server.authToken (or TOKENPAK_AUTH_TOKEN) to expose TokenPak beyond this machine`,
        },
      ]);
    }
    const guard = createRequestGuard({ boundHost: serverConfig.host, allowedOrigins: serverConfig.allowedOrigins, authToken: serverConfig.authToken });
    const proxy = dataPlane({
      resolver: this.resolver,
      dispatcher: this.dispatcher,
      stats: this.stats,
      logger: this.logger,
      maxInspectBytes: routing.maxInspectBytes,
      dumpHeaders: log.dumpHeaders,
      ledger: this.ledger,
      openWork: this.openWork,
    });
    const app = createApp({
      runtime: this.runtime,
      stats: this.stats,
      plugins: this.plugins,
      providers: this.providers,
      companion: this.companionStatus,
      resolver: this.resolver,
      maxInspectBytes: routing.maxInspectBytes,
      logger: this.logger,
      ledger: this.ledger,
      feed: this.ledgerFeed,
      guard,
      proxy,
    });
    const upgrade = upgradeRoute({
      resolver: this.resolver,
      upgrades: this.upgrades,
      providers: this.providers,
      stats: this.stats,
      logger: this.logger,
      ledger: this.ledger,
      openWork: this.openWork,
      dumpHeaders: log.dumpHeaders,
      guard,
      // The listening server serves non-WebSocket upgrades itself (see `listen`); one reaching a handler is refused.
      servePlain: (_incoming, socket) => socket.destroy(),
    });
    return {
      proxy: directDataPlane({ guard, providers: this.providers, serve: proxy }),
      fetch: (request, env) => app.fetch(request, env),
      upgrade: async (incoming, socket, head) => upgrade(incoming, socket, head),
    };
  }

  /** Makes `handler` serve every request that arrives from now on (reload); requests already in flight keep theirs. */
  serve(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** Binds and serves `handler` (default: this container's own, see `createHandler`). */
  async listen(handler: RequestHandler = this.createHandler()): Promise<ListeningAddress> {
    const { server: serverConfig } = this.resolved.config;
    this.handler = handler;
    // Open the ledger now, so a file problem is reported at start rather than at the first request.
    this.ledger.open();
    // `requireHostHeader: false`: a request without `Host` is answered by host-required.ts, in the caller's API shape.
    const server = createAdaptorServer({
      // A node:http server (no HTTP/2 option is passed), so the bindings are always HttpBindings.
      fetch: (request: Request, env: HttpBindings | Http2Bindings) => (this.handler ?? handler).fetch(request, env as HttpBindings),
      overrideGlobalObjects: false,
      autoCleanupIncoming: false,
      serverOptions: { requireHostHeader: false },
      createServer: ((options: ServerOptions, listener: RequestListener) =>
        http.createServer(
          options,
          // Proxied requests go straight to the data plane of the generation now current; the rest to its Hono app.
          hostRequired((incoming, outgoing) => {
            if (!(this.handler ?? handler).proxy(incoming, outgoing)) listener(incoming, outgoing);
          }),
        )) as typeof http.createServer,
    }) as Server;
    // Slow or stuck clients must not pin sockets forever (ARCHITECTURE §6); bodies may stream for long.
    server.headersTimeout = 30_000;
    server.requestTimeout = 0;
    server.keepAliveTimeout = 65_000;
    server.on('upgrade', (incoming: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Any other Upgrade (h2c, …) is the plain request it also is: served by whichever generation is current (RFC 9110 §7.8).
      if (!isWebSocketUpgrade(incoming.headers)) return serveAsPlainRequest(server, incoming, socket, head);
      (this.handler ?? handler).upgrade(incoming, socket, head).catch((error: unknown) => {
        this.logger.error('upgrade failed', { error: errorMessage(error) });
        socket.destroy();
      });
    });
    server.on('clientError', (error: Error & { code?: string }, socket) => {
      const status = answerParserRejection(error, socket);
      this.logger.debug('bad client request', { error: error.message, code: error.code, status });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(serverConfig.port, serverConfig.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      // Nothing is served: release what was started for serving (the ledger's worker thread would keep the process alive).
      await this.ledger.close();
      throw error;
    }
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
