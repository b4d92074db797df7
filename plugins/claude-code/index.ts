import { definePlugin, type PlatformOrigin, type PlatformSignal } from '@tokenpak/core/plugin';

/**
 * Claude Code adapter: names the platform and session of Claude Code's own traffic
 * (the claude-code captures: every Messages request carries `X-Claude-Code-Session-Id`
 * and a `claude-cli/<version> (external, <entrypoint>)` user agent).
 *
 * It names no provider: Claude Code already chooses its identity (API key or its OAuth
 * login), so routing continues exactly as if no signal had matched (ARCHITECTURE §2.2).
 * Its priority is below the default so a provider-naming signal (OpenClaw, Codex) that
 * matches the same request keeps winning.
 */

const PLATFORM = 'claude-code';
const SESSION_HEADER = 'x-claude-code-session-id';
const USER_AGENT_PREFIX = 'claude-cli/';

export const claudeCodeSignal: PlatformSignal = {
  name: PLATFORM,
  defaultProvider: null,
  priority: -100,
  extract(headers: Headers): PlatformOrigin | null {
    const sessionId = headers.get(SESSION_HEADER)?.trim();
    if (sessionId) return { platform: PLATFORM, sessionId };
    const userAgent = (headers.get('user-agent') ?? '').trim().toLowerCase();
    return userAgent.startsWith(USER_AGENT_PREFIX) ? { platform: PLATFORM } : null;
  },
};

export default definePlugin({
  name: PLATFORM,
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register(claudeCodeSignal);
  },
});
