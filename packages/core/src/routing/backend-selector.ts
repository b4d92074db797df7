import { authShape } from './auth-shape';
import { backendHeader } from './resolve-provider';
import { isClaudeCodeFamily, Provider, type Backend, type RouteClass } from '../decision/route-decision';

const BACKEND_HEADER_VALUES: Readonly<Record<string, Backend>> = { 'claude-code': 'oauth', oauth: 'oauth', api: 'api' };

/**
 * Backend precedence (ARCHITECTURE §2.4), highest first: `X-TokenPak-Backend` >
 * provider × auth shape > route class > `api`. Unknown header values are noted and ignored.
 */
export function selectBackend(headers: Headers, provider: string | null, routeClass: RouteClass, reasons: string[]): Backend {
  const requested = backendHeader(headers);
  if (requested) {
    const backend = BACKEND_HEADER_VALUES[requested];
    if (backend) {
      reasons.push(`backend: X-TokenPak-Backend "${requested}" → ${backend}`);
      return backend;
    }
    reasons.push(`backend: ignored unknown X-TokenPak-Backend value "${requested.slice(0, 40)}" (known: claude-code, oauth, api)`);
  }
  switch (provider) {
    case Provider.claudeCode:
      reasons.push(`backend: provider ${provider} → oauth`);
      return 'oauth';
    case Provider.anthropic: {
      const shape = authShape(headers);
      const backend: Backend = shape === 'bearer' ? 'oauth' : 'api';
      reasons.push(`backend: provider ${provider} with auth shape ${shape} → ${backend}`);
      return backend;
    }
    case Provider.openaiCodex:
      reasons.push(`backend: provider ${provider} → codex`);
      return 'codex';
  }
  if (isClaudeCodeFamily(routeClass)) {
    reasons.push(`backend: route class ${routeClass} → oauth`);
    return 'oauth';
  }
  reasons.push('backend: default api');
  return 'api';
}
