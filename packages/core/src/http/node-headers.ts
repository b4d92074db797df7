import type { IncomingHttpHeaders } from 'node:http';
import { IncomingHeadersView } from './incoming-headers-view';

/** The request's headers as a read-only WHATWG `Headers` view (no copy; see `IncomingHeadersView`). */
export function toWebHeaders(nodeHeaders: IncomingHttpHeaders): Headers {
  return new IncomingHeadersView(nodeHeaders);
}

/** `/v1/messages?beta=true` → `['/v1/messages', '?beta=true']`. */
export function splitPathAndQuery(url: string): [path: string, search: string] {
  const mark = url.indexOf('?');
  return mark === -1 ? [url, ''] : [url.slice(0, mark), url.slice(mark)];
}

/** `[name, value, name, value]` → `{ name: value }` (last one wins). */
export function flatToRecord(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
  return record;
}

/**
 * Path and query of an absolute URL string exactly as written. `new URL()` would
 * percent-encode quotes and braces and resolve `.`/`..` segments, and the forward must
 * send the path as the client did (ARCHITECTURE §2.5).
 */
export function rawPathAndQuery(url: string): string {
  const slash = pathStartOf(url);
  if (slash === -1) return '/';
  const hash = url.indexOf('#', slash);
  return hash === -1 ? url.slice(slash) : url.slice(slash, hash);
}

/** Index of the path in an absolute URL string (`http://host:1/v1/x` → 14), or -1 when it has none. */
export function pathStartOf(url: string): number {
  return url.indexOf('/', url.indexOf('//') + 2);
}
