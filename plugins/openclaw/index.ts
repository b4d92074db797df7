import { definePlugin, type PlatformOrigin, type PlatformSignal, type SignalRequest } from '@tokenpak/core/plugin';
import { findFirstSystemText, findRuntimeSessionId } from './body-markers';

/**
 * OpenClaw adapter. Real OpenClaw sends no OpenClaw header on model calls (see the
 * captures), so there are two ways in:
 *  - headers a user configured in OpenClaw's provider entry (`X-OpenClaw-Session`) or an
 *    `openclaw…` user agent;
 *  - the body: its system prompt starts with `<!-- openclaw:attempt:` and carries
 *    `sessionId=<id>` on its `Runtime:` line (phase two, only for requests whose headers
 *    look like OpenClaw's transports, so other traffic is never buffered).
 */

interface OpenClawSettings {
  defaultProvider: string;
  userAgentPrefixes: string[];
  detectFromBody: boolean;
}

const PLATFORM = 'openclaw';
const SESSION_HEADER = 'x-openclaw-session';
const ATTEMPT_MARKER = '<!-- openclaw:attempt:';
const INSPECTED_PATHS = new Set(['/v1/messages', '/v1/chat/completions', '/v1/responses']);

function readSettings(raw: Readonly<Record<string, unknown>>): OpenClawSettings {
  const prefixes = Array.isArray(raw.userAgentPrefixes)
    ? raw.userAgentPrefixes.filter((item): item is string => typeof item === 'string' && item.trim() !== '')
    : [];
  return {
    defaultProvider: typeof raw.defaultProvider === 'string' && raw.defaultProvider.trim() ? raw.defaultProvider.trim() : 'tokenpak-claude-code',
    userAgentPrefixes: ['openclaw', ...prefixes.map((prefix) => prefix.trim().toLowerCase())],
    detectFromBody: raw.detectFromBody !== false,
  };
}

export function openclawSignal(settings: OpenClawSettings): PlatformSignal {
  return {
    name: PLATFORM,
    defaultProvider: settings.defaultProvider,
    // Users add it to OpenClaw's provider entry to talk to TokenPak; the provider must never see it.
    controlHeaders: [SESSION_HEADER],
    extract(headers: Headers): PlatformOrigin | null {
      const session = headers.get(SESSION_HEADER)?.trim();
      if (session) return { platform: PLATFORM, sessionId: session };
      const userAgent = (headers.get('user-agent') ?? '').trim().toLowerCase();
      if (settings.userAgentPrefixes.some((prefix) => userAgent.startsWith(prefix))) return { platform: PLATFORM };
      return null;
    },
    wantsBody(headers: Headers, request: SignalRequest): boolean {
      // OpenClaw's transports (undici / OpenAI JS inside its gateway) always send these two;
      // Claude Code, the SDKs and curl do not, so their bodies stream untouched.
      return (
        settings.detectFromBody &&
        request.method === 'POST' &&
        INSPECTED_PATHS.has(request.path) &&
        headers.get('sec-fetch-mode') === 'cors' &&
        headers.get('accept-language') === '*'
      );
    },
    extractFromBody(json: unknown): PlatformOrigin | null {
      const systemText = findFirstSystemText(json);
      if (!systemText?.trimStart().startsWith(ATTEMPT_MARKER)) return null;
      const sessionId = findRuntimeSessionId(json);
      return sessionId ? { platform: PLATFORM, sessionId } : { platform: PLATFORM };
    },
  };
}

export default definePlugin({
  name: PLATFORM,
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register(openclawSignal(readSettings(ctx.settings)));
  },
});
