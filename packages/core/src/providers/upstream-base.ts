/**
 * A provider's upstream base URL, parsed once and cached by the registry (URL parsing
 * per request showed up in profiles).
 *
 * The upstream is a base URL; a trailing `/v1` is recognised (issue 9.6): with
 * `upstream: "http://host/coding/v1"`, a request for `/v1/messages?beta=true` goes to
 * `http://host/coding/v1/messages?beta=true`, not `/coding/v1/v1/messages…`.
 */
export interface UpstreamBase {
  url: URL;
  /** `origin` + path without the trailing slash, ready for a request path to be appended. */
  prefix: string;
  /** The base path ends in `/v1` (or `/v1/`): a `/v1/…` request path drops its own `/v1`. */
  endsInV1: boolean;
}

export function parseUpstreamBase(upstream: string): UpstreamBase {
  const url = new URL(upstream);
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return { url, prefix: `${url.origin}${path}`, endsInV1: path.endsWith('/v1') };
}

/** `https://host/base` + `/v1/x` + `?q` → `https://host/base/v1/x?q`; `https://host/base/v1` + `/v1/x` → `https://host/base/v1/x`. */
export function upstreamUrlFor(base: UpstreamBase, path: string, search: string): string {
  const kept = base.endsInV1 && path.startsWith('/v1/') ? path.slice(3) : path;
  return `${base.prefix}${kept}${search}`;
}
