import { HeaderName, HOP_BY_HOP_HEADERS } from '../http/header-names';

const CONNECTION_LENGTH = HeaderName.connection.length;
/** `Connection` values that name no other header. */
const CONNECTION_OPTIONS: ReadonlySet<string> = new Set(['keep-alive', 'close']);
const KEEP_ALIVE_LENGTH = 'keep-alive'.length;

/** Header names listed in a `Connection` header are hop-by-hop for that message too. */
function connectionTokens(rawHeaders: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Most names are not 10 characters long: no lower-casing for them.
    if (name.length !== CONNECTION_LENGTH || name.toLowerCase() !== HeaderName.connection) continue;
    const value = rawHeaders[i + 1]!;
    // The usual values list no header: no split.
    if (value.length <= KEEP_ALIVE_LENGTH && CONNECTION_OPTIONS.has(value.toLowerCase())) continue;
    for (const token of value.split(',')) {
      const listed = token.trim().toLowerCase();
      if (listed && listed !== 'close' && listed !== 'keep-alive') (tokens ??= new Set()).add(listed);
    }
  }
  return tokens;
}

const NO_CONTROL_HEADERS: ReadonlySet<string> = new Set();

/** `x-tokenpak-*`, and the headers platform plugins declared for TokenPak (`PlatformSignal.controlHeaders`). */
function isControlHeader(lower: string, declared: ReadonlySet<string>): boolean {
  return lower.startsWith(HeaderName.tokenpakPrefix) || declared.has(lower);
}

/**
 * The request's headers as they go upstream, in the caller's order and spelling
 * (a flat raw-headers array): hop-by-hop and TokenPak control headers (`x-tokenpak-*` and
 * `controlHeaders`, the plugin-declared ones from the route decision) removed,
 * `Host` rewritten to the upstream's.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  upstreamHost: string,
  controlHeaders: ReadonlySet<string> = NO_CONTROL_HEADERS,
): string[] {
  const listed = connectionTokens(rawHeaders);
  const out: string[] = [];
  let hostWritten = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || isControlHeader(lower, controlHeaders) || listed?.has(lower)) continue;
    if (lower === HeaderName.host) {
      if (!hostWritten) out.push(name, upstreamHost);
      hostWritten = true;
      continue;
    }
    out.push(name, rawHeaders[i + 1]!);
  }
  if (!hostWritten) out.unshift('Host', upstreamHost);
  return out;
}

/** The upstream response's headers for the client: unchanged but for hop-by-hop ones, plus TokenPak's. */
export function clientResponseHeaders(rawHeaders: readonly string[], added: readonly string[]): string[] {
  const listed = connectionTokens(rawHeaders);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || listed?.has(lower)) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  for (const value of added) out.push(value);
  return out;
}

/** `flat` without any header named `name` (case-insensitive). */
export function withoutHeader(flat: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() !== name) out.push(flat[i]!, flat[i + 1]!);
  return out;
}
