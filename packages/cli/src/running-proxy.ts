import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** What answers at the proxy's address. */
export type ProxyProbe =
  | { state: 'tokenpak'; version?: string }
  | { state: 'free' }
  | { state: 'other'; detail: string };

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

/**
 * `<state.dir>/tokenpak.pid`, written by `tokenpak start` as JSON `{ pid, port, url, … }`;
 * read tolerantly (absent, a bare number, or unknown extra fields are all fine).
 */
export interface PidFile {
  pid: number;
  port?: number;
  url?: string;
}

export const PID_FILE = 'tokenpak.pid';

export async function readPidFile(stateDir: string): Promise<PidFile | null> {
  const text = await readFile(path.join(stateDir, PID_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed === 'number' && Number.isInteger(parsed)) return { pid: parsed };
  const { pid, port, url } = (parsed ?? {}) as { pid?: unknown; port?: unknown; url?: unknown };
  if (typeof pid !== 'number' || !Number.isInteger(pid)) return null;
  return { pid, ...(typeof port === 'number' ? { port } : {}), ...(typeof url === 'string' ? { url } : {}) };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
