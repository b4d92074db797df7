/**
 * The environment the `claude` child runs with: the user's, minus anything that could
 * send it back through TokenPak (a loop) or make it use credentials other than its own
 * login. The caller's credentials are never in it: they arrive as HTTP headers, and
 * nothing from a request is copied into the environment.
 */

/** Names removed outright (compared upper-cased: Windows environments are case-insensitive). */
const REMOVED_NAMES: ReadonlySet<string> = new Set([
  // Point the CLI at another endpoint (typically TokenPak itself, when the user exported it for their agents).
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'ANTHROPIC_VERTEX_BASE_URL',
  'ANTHROPIC_FOUNDRY_BASE_URL',
  'OPENAI_BASE_URL',
  'OPENAI_API_BASE',
  // Override the CLI's own login (an API key or token takes precedence over it).
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_CUSTOM_HEADERS',
  // Markers of an enclosing Claude Code session (TokenPak started from one): the child is not nested in it.
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CLAUDE_CODE_SSE_PORT',
]);

/** TokenPak's own settings (one of them is its auth token) are nothing the CLI should see. */
const REMOVED_PREFIX = 'TOKENPAK_';

const LOOPBACK_URL = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)(?::(\d{1,5}))?/gi;

/** True when `value` contains a loopback URL on one of `ports` (e.g. `HTTPS_PROXY=http://127.0.0.1:8766`). */
function pointsAt(value: string, ports: ReadonlySet<number>): boolean {
  for (const match of value.matchAll(LOOPBACK_URL)) {
    const port = match[1] ? Number(match[1]) : 80;
    if (ports.has(port)) return true;
  }
  return false;
}

export interface ChildEnvironmentOptions {
  /** Ports TokenPak listens on: a variable whose value is a loopback URL on one of them would route back here. */
  tokenpakPorts: readonly number[];
}

export function companionChildEnvironment(source: NodeJS.ProcessEnv, options: ChildEnvironmentOptions): NodeJS.ProcessEnv {
  const ports = new Set(options.tokenpakPorts.filter((port) => port > 0));
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const upper = name.toUpperCase();
    if (REMOVED_NAMES.has(upper) || upper.startsWith(REMOVED_PREFIX)) continue;
    if (ports.size > 0 && value.includes('://') && pointsAt(value, ports)) continue;
    env[name] = value;
  }
  return env;
}
