import { ok, warn, type CheckResult } from './check-result';
import { shownUpstream, type ProviderFacts } from './provider-checks';

const TIMEOUT_MS = 5000;

/**
 * `--online` only: one cheap request (`HEAD` on the upstream's origin, no credentials) per
 * distinct upstream, reporting reachability and latency. Any HTTP answer means reachable.
 */
export async function onlineChecks(providers: readonly ProviderFacts[]): Promise<CheckResult[]> {
  const origins = new Map<string, string[]>();
  for (const provider of providers) {
    if (!provider.upstream) continue;
    let origin: string;
    try {
      origin = new URL(provider.upstream).origin;
    } catch {
      continue;
    }
    origins.set(origin, [...(origins.get(origin) ?? []), provider.name]);
  }
  return Promise.all(
    [...origins].map(async ([origin, names]): Promise<CheckResult> => {
      const id = `online:${shownUpstream(origin)}`;
      const started = performance.now();
      try {
        const response = await fetch(origin, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
        const latencyMs = Math.round(performance.now() - started);
        return ok(id, `${shownUpstream(origin)} reachable (HTTP ${response.status}, ${latencyMs} ms; ${names.join(', ')})`, {
          reachable: true,
          status: response.status,
          latencyMs,
        });
      } catch (error) {
        const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        return warn(
          id,
          `${shownUpstream(origin)} unreachable (${reason}; ${names.join(', ')})`,
          'check your network, proxy settings, or providers.<name>.upstream',
          { reachable: false, reason },
        );
      }
    }),
  );
}
