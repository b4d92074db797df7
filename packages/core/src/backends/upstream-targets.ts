import { pathStartOf } from '../http/node-headers';

/** Where an upstream origin is reached: what `http(s).request` needs, parsed once per origin. */
export interface UpstreamTarget {
  secure: boolean;
  protocol: 'http:' | 'https:';
  /** Without IPv6 brackets (`::1`), as `http.request` wants it. */
  hostname: string;
  port: number;
  /** `host[:port]` as the upstream's `Host` header. */
  host: string;
  /** `scheme://host[:port]`, for logs and errors. */
  origin: string;
}

/** Distinct origins remembered; past this the cache starts over (config generations bring few). */
const MAX_TARGETS = 256;

/**
 * Parsed upstream origins, by the origin part of the decision's URL string. Every request
 * to a provider goes to the same origin; parsing it with `new URL()` per request measured
 * ~1% of the proxy's CPU. The path is taken from the URL as written (`rawPathAndQuery`).
 */
export class UpstreamTargets {
  private readonly byOrigin = new Map<string, UpstreamTarget>();

  /** The target of an absolute `http(s)://` URL. Throws (as `new URL` does) on an invalid one. */
  of(url: string): UpstreamTarget {
    const slash = pathStartOf(url);
    const key = slash === -1 ? url : url.slice(0, slash);
    let target = this.byOrigin.get(key);
    if (target === undefined) {
      target = parse(url);
      if (this.byOrigin.size >= MAX_TARGETS) this.byOrigin.clear();
      this.byOrigin.set(key, target);
    }
    return target;
  }
}

function parse(url: string): UpstreamTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`not an http(s) upstream: ${parsed.protocol}`);
  const secure = parsed.protocol === 'https:';
  return {
    secure,
    protocol: secure ? 'https:' : 'http:',
    hostname: parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 443 : 80,
    host: parsed.host,
    origin: parsed.origin,
  };
}
