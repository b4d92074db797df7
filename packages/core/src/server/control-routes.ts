import { Hono } from 'hono';
import type { CompanionStatus } from '../backends/companion/companion-status';
import type { LedgerRecorder } from '../ledger/ledger-recorder';
import type { PluginHost } from '../plugins/plugin-host';
import type { ProviderRegistry } from '../providers/provider-registry';
import { explainRoute, type RouteQuery } from '../routing/explain-route';
import type { RouteResolver } from '../routing/route-resolver';
import type { RuntimeOptions } from '../runtime-options';
import { apiErrorResponse } from './error-response';
import type { TokenPakEnv } from './hono-env';
import type { ServerStats } from './server-stats';

export interface ControlDeps {
  runtime: RuntimeOptions;
  stats: ServerStats;
  plugins: PluginHost;
  providers: ProviderRegistry;
  resolver: RouteResolver;
  /** `routing.maxInspectBytes`: the dry run applies the proxy's body-inspection limits. */
  maxInspectBytes: number;
  /** The Claude companion's counters and CLI version. */
  companion: CompanionStatus;
  /** The request ledger's state (open / unavailable / off, rows queued and dropped). */
  ledger: LedgerRecorder;
}

/** How long `/status` waits for the first `claude --version` probe before answering without it. */
const CLI_PROBE_WAIT_MS = 3000;

/** `/tokenpak/*` (ARCHITECTURE §5): answered by TokenPak itself, never forwarded. */
export function controlRoutes(deps: ControlDeps): Hono<TokenPakEnv> {
  const routes = new Hono<TokenPakEnv>();

  routes.get('/health', (c) => c.json({ status: 'ok' }));

  routes.get('/status', async (c) => {
    await deps.companion.refresh(CLI_PROBE_WAIT_MS);
    return c.json(statusSnapshot(deps));
  });

  routes.post('/route', async (c) => {
    let query: unknown;
    try {
      query = await c.req.json();
    } catch {
      return apiErrorResponse(c, { code: 'invalid_body', status: 400, message: 'the body must be JSON: {"path": "...", "headers": {...}}' }, 'anthropic');
    }
    const problem = validateRouteQuery(query);
    if (problem) {
      return apiErrorResponse(c, { code: 'invalid_body', status: 400, message: problem }, 'anthropic');
    }
    return c.json(explainRoute(deps.resolver, query as RouteQuery, deps.maxInspectBytes));
  });

  return routes;
}

export function statusSnapshot(
  deps: Pick<ControlDeps, 'runtime' | 'stats' | 'plugins' | 'providers'> & Partial<{ companion: CompanionStatus; ledger: Pick<LedgerRecorder, 'snapshot'> }>,
) {
  const { stats } = deps;
  return {
    name: 'tokenpak',
    version: deps.runtime.version,
    uptimeSeconds: Math.round((Date.now() - stats.startedAt) / 1000),
    inFlight: stats.inFlight,
    requests: { total: stats.total, byStatus: { ...stats.byStatus } },
    plugins: deps.plugins.reports().map((report) => ({ ...report })),
    providers: deps.providers.names().map((name) => {
      const upstream = deps.providers.upstreamOf(name);
      return { name, upstream: upstream ? new URL(upstream).origin + new URL(upstream).pathname.replace(/\/$/, '') : null };
    }),
    ...(deps.companion ? { companion: deps.companion.snapshot() } : {}),
    ...(deps.ledger ? { ledger: deps.ledger.snapshot() } : {}),
  };
}

function validateRouteQuery(query: unknown): string | null {
  if (!query || typeof query !== 'object' || Array.isArray(query)) return 'the body must be a JSON object';
  const { path, headers, method } = query as Record<string, unknown>;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) return '"path" must be a string starting with /';
  if (method !== undefined && typeof method !== 'string') return '"method" must be a string';
  if (headers !== undefined) {
    if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return '"headers" must be an object of name → value';
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') return `header "${name}" must have a string value`;
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `"${name}" is not a valid header name`;
      if (/[\r\n\0]/.test(value)) return `header "${name}" has an invalid value`;
    }
  }
  return null;
}
