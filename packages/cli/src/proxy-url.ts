import type { TokenPakConfig } from '@tokenpak/core';

/**
 * The base URL clients use to reach the proxy this config describes, e.g.
 * `http://127.0.0.1:8766` (a wildcard bind is reached through loopback; IPv6 in brackets).
 */
export function proxyUrl(config: TokenPakConfig): string {
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host === '::' ? '::1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
}
