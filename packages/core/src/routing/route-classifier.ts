import { HeaderName } from '../http/header-names';
import { Provider, type RouteClass } from '../decision/route-decision';

/** Entry points (from `x-claude-code-entrypoint` or the CLI's user agent) → mode. */
const ENTRYPOINT_MODES: Readonly<Record<string, RouteClass>> = {
  cli: 'claude-code-cli',
  'sdk-cli': 'claude-code-cli',
  sdk: 'claude-code-sdk',
  'sdk-ts': 'claude-code-sdk',
  'sdk-py': 'claude-code-sdk',
  ide: 'claude-code-ide',
  vscode: 'claude-code-ide',
  jetbrains: 'claude-code-ide',
  tmux: 'claude-code-tmux',
  cron: 'claude-code-cron',
  tui: 'claude-code-tui',
};

/** `claude-cli/2.1.197 (external, sdk-cli)` → `sdk-cli`. */
const CLI_USER_AGENT_ENTRYPOINT = /^claude-(?:cli|code)\/\S+\s*\(([^)]*)\)/i;

const OPENAI_PATHS = new Set(['/v1/chat/completions', '/v1/responses']);

export interface Classification {
  routeClass: RouteClass;
  reason: string;
}

/**
 * Route classes (ARCHITECTURE §2.3), first hit wins. Reads headers and path only;
 * body inspection belongs to platform signals.
 */
export function classifyRoute(headers: Headers, path: string, provider: string | null): Classification {
  const userAgent = headers.get(HeaderName.userAgent) ?? '';
  const lowerAgent = userAgent.toLowerCase();
  if (provider === Provider.claudeCode) {
    return claudeCodeMode(headers, userAgent, `provider is ${Provider.claudeCode}`);
  }
  if (headers.has(HeaderName.claudeCodeSessionId)) return claudeCodeMode(headers, userAgent, 'x-claude-code-session-id present');
  if (lowerAgent.startsWith('claude-cli') || lowerAgent.startsWith('claude-code')) {
    return claudeCodeMode(headers, userAgent, 'user agent is the Claude Code CLI');
  }
  const isBearer = /^\s*bearer\s/i.test(headers.get(HeaderName.authorization) ?? '');
  if (isBearer && (headers.get(HeaderName.anthropicBeta) ?? '').toLowerCase().includes('oauth-')) {
    return claudeCodeMode(headers, userAgent, 'bearer token with an oauth- anthropic-beta');
  }
  if (lowerAgent.includes('anthropic-') || lowerAgent.includes('anthropic/')) {
    return { routeClass: 'anthropic-sdk', reason: 'user agent names an Anthropic SDK' };
  }
  if (lowerAgent.includes('openai-') || lowerAgent.includes('openai/')) {
    return { routeClass: 'openai-sdk', reason: 'user agent names an OpenAI SDK' };
  }
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return { routeClass: 'anthropic-sdk', reason: 'Messages API path' };
  if (OPENAI_PATHS.has(path)) return { routeClass: 'openai-sdk', reason: 'OpenAI API path' };
  return { routeClass: 'generic', reason: 'no rule matched' };
}

function claudeCodeMode(headers: Headers, userAgent: string, why: string): Classification {
  const declared = headers.get(HeaderName.claudeCodeEntrypoint)?.trim().toLowerCase();
  const declaredMode = declared ? ENTRYPOINT_MODES[declared] : undefined;
  if (declaredMode) return { routeClass: declaredMode, reason: `${why}; mode from x-claude-code-entrypoint "${declared}"` };
  const fromAgent = CLI_USER_AGENT_ENTRYPOINT.exec(userAgent)?.[1]
    ?.split(',')
    .map((part) => part.trim().toLowerCase())
    .find((part) => part in ENTRYPOINT_MODES);
  if (fromAgent) return { routeClass: ENTRYPOINT_MODES[fromAgent]!, reason: `${why}; mode from user agent entrypoint "${fromAgent}"` };
  return { routeClass: 'claude-code-cli', reason: `${why}; default mode cli` };
}
