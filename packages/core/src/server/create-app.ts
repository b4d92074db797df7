import { Hono } from 'hono';
import type { Logger } from '../log/logger';
import { apiErrorResponse } from './error-response';
import { controlRoutes, type ControlDeps } from './control-routes';
import { mountDashboard } from './dashboard-routes';
import { dataPlaneRoute, type ProxiedRequestHandler } from './data-plane';
import type { TokenPakEnv } from './hono-env';
import { ledgerRoutes, type LedgerRouteDeps } from './ledger-routes';
import type { RequestGuard } from './loopback-guard';
import { requestAdmission } from './request-admission';

export interface AppDeps extends ControlDeps, LedgerRouteDeps {
  guard: RequestGuard;
  logger: Logger;
  /** The data plane (shared with the direct entry, `direct-data-plane.ts`). */
  proxy: ProxiedRequestHandler;
}

/**
 * The Hono app: admission, control endpoints, the dashboard, and the data plane for the
 * proxied requests that do not take the direct entry (absolute-form targets).
 */
export function createApp(deps: AppDeps): Hono<TokenPakEnv> {
  const app = new Hono<TokenPakEnv>();
  const proxy = dataPlaneRoute(deps.proxy);

  app.use('*', requestAdmission(deps.guard));

  // Liveness for clients that probe their base URL (the Claude Code CLI sends `HEAD /`).
  app.get('/', (c) => c.json({ name: 'tokenpak', status: 'ok', version: deps.runtime.version }));

  app.route('/tokenpak', controlRoutes(deps));
  app.route('/tokenpak', ledgerRoutes(deps));
  mountDashboard(app);
  app.all('/v1/*', proxy);
  app.all('*', (c) => {
    if (deps.providers.claimsPath(c.req.path)) return proxy(c, async () => undefined);
    return apiErrorResponse(c, { code: 'not_served', status: 404, message: `TokenPak does not serve ${c.req.path}` });
  });

  app.onError((error, c) => {
    deps.logger.error('unhandled error', { path: c.req.path, error: error.message });
    return apiErrorResponse(c, { code: 'internal_error', status: 500, message: 'TokenPak hit an internal error' });
  });
  return app;
}
