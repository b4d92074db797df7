import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { HeaderName } from '../http/header-names';

export interface GuardOptions {
  /** The bound host; accepted as a `Host` too when it is not loopback (then `authToken` is required). */
  boundHost: string;
  allowedOrigins: readonly string[];
  authToken?: string;
}

/** Hostname part of a `Host` header: `[::1]:8766` → `::1`, `localhost:8766` → `localhost`. */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') >>> 0);
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || name.startsWith('::ffff:127.');
  return false;
}

/** Distinct `Host` values whose verdict is remembered. */
const MAX_REMEMBERED_HOSTS = 64;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export interface GuardRejection {
  code: 'host_rejected' | 'origin_rejected' | 'auth_required';
  status: 401 | 403;
  message: string;
}

/** The guard's check of one request's headers: null when it may be served. */
export type RequestGuard = (headers: IncomingHttpHeaders) => GuardRejection | null;

/**
 * ARCHITECTURE §6: a web page must not be able to spend the user's subscription through
 * the proxy (DNS rebinding, cross-site requests). Rejects a non-loopback `Host`, a
 * browser `Origin` not on the allow-list, and — when an auth token is configured — a
 * request without the right `x-tokenpak-auth` (compared in constant time). Shared by the
 * HTTP middleware and the WebSocket upgrade path.
 */
export function createRequestGuard(options: GuardOptions): RequestGuard {
  const boundHost = options.boundHost.toLowerCase();
  const allowedOrigins = new Set(options.allowedOrigins.map((origin) => origin.toLowerCase().replace(/\/$/, '')));
  const expectedToken = options.authToken ? digest(options.authToken) : null;
  const acceptsHost = (hostname: string): boolean =>
    isLoopbackHost(hostname) || (expectedToken !== null && (hostname === boundHost || boundHost === '0.0.0.0' || boundHost === '::'));

  // Clients send the same one or two `Host` values on every request: each is judged once (bounded, so a flood of odd values cannot grow it).
  const hostVerdicts = new Map<string, boolean>();
  const hostAccepted = (host: string): boolean => {
    let verdict = hostVerdicts.get(host);
    if (verdict === undefined) {
      verdict = acceptsHost(hostnameOf(host));
      if (hostVerdicts.size >= MAX_REMEMBERED_HOSTS) hostVerdicts.clear();
      hostVerdicts.set(host, verdict);
    }
    return verdict;
  };

  return (headers) => {
    const host = headers.host;
    if (host !== undefined && !hostAccepted(host)) {
      return { code: 'host_rejected', status: 403, message: 'TokenPak only answers requests addressed to a loopback host (Host header rejected)' };
    }
    const origin = headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase().replace(/\/$/, ''))) {
      return {
        code: 'origin_rejected',
        status: 403,
        message: 'TokenPak does not answer browser requests from this Origin (add it to server.allowedOrigins to allow it)',
      };
    }
    if (expectedToken) {
      const presented = headers[HeaderName.tokenpakAuth];
      if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), expectedToken)) {
        return { code: 'auth_required', status: 401, message: 'missing or wrong x-tokenpak-auth' };
      }
    }
    return null;
  };
}
