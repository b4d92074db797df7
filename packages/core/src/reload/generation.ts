import type { HttpBindings } from '@hono/node-server';
import type { DependencyContainer } from 'tsyringe';
import type { CompanionBackend } from '../backends/companion/companion-backend';
import type { HttpForwarder } from '../backends/http-forwarder';
import type { ResolvedConfig } from '../config/load-config';
import type { PluginHost } from '../plugins/plugin-host';
import type { PluginReport } from '../plugins/types';
import type { ProxyServer } from '../server/proxy-server';
import type { RequestHandler } from '../server/request-handler';
import { TOKENS } from '../di-tokens';

/** Control endpoints only read shared state (ledger, counters): a dashboard's open event feed must not hold a generation. */
const CONTROL_PREFIX = '/tokenpak/';

/**
 * One config generation (ARCHITECTURE §7, reload): a container built from one config, its
 * plugins, and the request handler made from them. It counts the requests and upgrades it
 * serves, so once a reload has replaced it (`retire`) it is disposed when the last of them
 * ends: forwarder pools closed, companion closed, its plugins' disposers run. Shared
 * services (ledger, counters, companion session map and run queue, see shared-services.ts)
 * are not its to dispose.
 */
export class Generation {
  private built: RequestHandler | null = null;
  private inFlight = 0;
  private retired = false;
  private disposing: Promise<void> | null = null;
  private drainedWaiter: (() => void) | null = null;

  constructor(
    /** 1 for the generation `start` built, then +1 per successful reload. */
    readonly id: number,
    readonly container: DependencyContainer,
    readonly config: ResolvedConfig,
    readonly plugins: readonly PluginReport[],
  ) {}

  /**
   * The request handler, built on first use (it validates the bind settings, which only
   * matter to a generation that serves: `tokenpak plugins` / `route` load without serving).
   */
  get handler(): RequestHandler {
    this.built ??= this.createHandler();
    return this.built;
  }

  private createHandler(): RequestHandler {
    const inner = this.container.resolve<ProxyServer>(TOKENS.ProxyServer).createHandler();
    const end = (): void => this.end();
    return {
      proxy: (incoming, outgoing) => {
        // Counted from the start; `end` runs on the response's close (one listener, the data plane's).
        this.begin();
        if (inner.proxy(incoming, outgoing, end)) return true;
        this.end();
        return false;
      },
      fetch: (request, env) => {
        if (!env.incoming.url?.startsWith(CONTROL_PREFIX)) this.track(env);
        return inner.fetch(request, env);
      },
      upgrade: (incoming, socket, head) => {
        this.begin();
        socket.once('close', () => this.end());
        return inner.upgrade(incoming, socket, head);
      },
    };
  }

  /** Requests and upgrades this generation is still serving. */
  get active(): number {
    return this.inFlight;
  }

  /** Replaced by a newer generation: dispose once what it serves has ended (at once if nothing). */
  retire(): Promise<void> {
    this.retired = true;
    if (this.inFlight === 0) return this.dispose();
    return new Promise<void>((resolve) => (this.drainedWaiter = resolve)).then(() => this.dispose());
  }

  /** Releases this generation's own resources. Idempotent; shutdown calls it for every generation still alive. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.container.resolve<HttpForwarder>(TOKENS.HttpForwarder).close();
      await this.container.resolve<CompanionBackend>(TOKENS.CompanionBackend).close();
      this.container.resolve<PluginHost>(TOKENS.PluginHost).unloadAll();
    })();
    return this.disposing;
  }

  private track({ outgoing }: HttpBindings): void {
    this.begin();
    outgoing.once('close', () => this.end());
  }

  private begin(): void {
    this.inFlight++;
  }

  private end(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.retired) this.drainedWaiter?.();
  }
}
