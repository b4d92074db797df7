export const ROUTE_CLASSES = [
  'claude-code-tui',
  'claude-code-cli',
  'claude-code-tmux',
  'claude-code-sdk',
  'claude-code-ide',
  'claude-code-cron',
  'anthropic-sdk',
  'openai-sdk',
  'generic',
] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export const CLAUDE_CODE_FAMILY_PREFIX = 'claude-code-';
export const isClaudeCodeFamily = (routeClass: RouteClass): boolean => routeClass.startsWith(CLAUDE_CODE_FAMILY_PREFIX);

export type Backend = 'api' | 'oauth' | 'codex';
export type Via = 'http' | 'companion';

/** Which precedence rule decided the provider (ARCHITECTURE §2.2). */
export type ProviderSource = 'header' | 'backend-header' | `signal:${string}` | 'none';

/** Built-in provider names the precedence tables refer to. */
export const Provider = {
  anthropic: 'tokenpak-anthropic',
  openai: 'tokenpak-openai',
  claudeCode: 'tokenpak-claude-code',
  openaiCodex: 'tokenpak-openai-codex',
} as const;

/** Origin detection and provider resolution, decided together (§2.2). */
export interface ProviderResolution {
  platform: string | null;
  sessionId: string | null;
  provider: string | null;
  providerSource: ProviderSource;
}

/** The one decision per request: computed once, before any byte goes upstream, obeyed by the dispatcher. */
export interface RouteDecision extends ProviderResolution {
  routeClass: RouteClass;
  backend: Backend;
  via: Via;
  /** Name of the credential provider whose plan applies (`caller`: the caller's own, untouched). */
  credentialSource: string;
  /** Absolute upstream URL for this request (path and query included). */
  upstreamUrl: string;
  /** Request headers declared by platform plugins for TokenPak (e.g. `x-openclaw-session`): never forwarded upstream. */
  controlHeaders: ReadonlySet<string>;
  /** Why: every rule that fired, in order. */
  reasons: readonly string[];
}

/** The request facts routing may read: never the body (that belongs to body-inspecting signals). */
export interface RouteRequest {
  method: string;
  /** Path without query. */
  path: string;
  /** `?…` or empty. */
  search: string;
  headers: Headers;
}
