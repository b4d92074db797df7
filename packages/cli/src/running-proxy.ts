/** What answers at the proxy's address. */
export type ProxyProbe = { state: 'tokenpak'; version?: string } | { state: 'free' } | { state: 'other'; detail: string };

const PROBE_TIMEOUT_MS = 3000;

/**
 * Asks `GET <url>/tokenpak/health` (a loopback call to the proxy itself, never upstream):
 * a TokenPak answers `{"status":"ok"}` (and `/tokenpak/status` gives its version); a refused
 * connection means the port is free; anything else is another program on the port.
 */
export async function probeProxy(url: string, authToken?: string): Promise<ProxyProbe> {
  const headers = authToken ? { 'x-tokenpak-auth': authToken } : undefined;
  let response: Response;
  try {
    response = await fetch(`${url}/tokenpak/health`, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') return { state: 'free' };
    return { state: 'other', detail: `something on the port does not answer HTTP (${code ?? (error as Error).name})` };
  }
  const body = await response.text().catch(() => '');
  if (!response.ok || !/"status"\s*:\s*"ok"/.test(body)) {
    return { state: 'other', detail: `it answers HTTP ${response.status} on /tokenpak/health, not as a TokenPak` };
  }
  const status = await fetch(`${url}/tokenpak/status`, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    .then((answer) => answer.json() as Promise<{ version?: unknown }>)
    .catch(() => null);
  return { state: 'tokenpak', ...(typeof status?.version === 'string' ? { version: status.version } : {}) };
}
