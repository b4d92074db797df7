import { definePlugin, type PlatformOrigin, type PlatformSignal, type ProviderDefinition, type SignalRequest } from '@tokenpak/core/plugin';
import { codexLoginCredentials } from './codex-login';

/**
 * Codex CLI adapter: recognises Codex traffic and maps its paths onto the Codex
 * upstream, so a user can point both of Codex's base URLs at TokenPak. Which upstream
 * serves it depends on the credential (ARCHITECTURE §2.2): an API key → `tokenpak-openai`
 * (path kept), a ChatGPT login or none → `tokenpak-openai-codex`.
 */

const PLATFORM = 'codex';
const PROVIDER = 'tokenpak-openai-codex';
/** The OpenAI API identity: Codex configured with an API key (`env_key`) talks to api.openai.com. */
const API_KEY_PROVIDER = 'tokenpak-openai';
const DEFAULT_UPSTREAM = 'https://chatgpt.com/backend-api/codex';
const RESPONSES_PATHS = ['/v1/responses', '/backend-api/codex/responses'];
const JWT_BEARER = /^\s*bearer\s+eyJ/i;
/** ARCHITECTURE §2.4 auth shape *key*: a non-empty `x-api-key`, or a bearer `sk-…` that is not a Claude OAuth token. */
const KEY_BEARER = /^\s*bearer\s+sk-(?!ant-oat)/i;

const hasApiKey = (headers: Headers): boolean => (headers.get('x-api-key') ?? '').trim() !== '' || KEY_BEARER.test(headers.get('authorization') ?? '');

const SLASH = 0x2f;
/** `base` itself or below it (`base/…`), without building `base/` per call: this runs on every request. */
const isAtOrBelow = (path: string, base: string): boolean => path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === SLASH);

const isResponsesPath = (path: string): boolean => RESPONSES_PATHS.some((base) => isAtOrBelow(path, base));

/** Codex names itself `codex_…` in `originator` and `user-agent` (any case, after spaces): tested in place, no lower-cased copy per request. */
const CODEX_CLIENT = /^\s*codex_/i;

export const codexSignal: PlatformSignal = {
  name: PLATFORM,
  defaultProvider: PROVIDER,
  extract(headers: Headers, request: SignalRequest): PlatformOrigin | null {
    const namedCodex = CODEX_CLIENT.test(headers.get('originator') ?? '') || CODEX_CLIENT.test(headers.get('user-agent') ?? '');
    // A JWT alone is a ChatGPT login only on the Responses paths; on /v1/messages it is someone else's token.
    if (!namedCodex && !(isResponsesPath(request.path) && JWT_BEARER.test(headers.get('authorization') ?? ''))) return null;
    const sessionId = headers.get('session-id')?.trim() || headers.get('session_id')?.trim();
    const origin: PlatformOrigin = sessionId ? { platform: PLATFORM, sessionId } : { platform: PLATFORM };
    // By credential, not by client (measured, Codex CLI 0.169.0 with `env_key`): an API key is
    // only valid on the OpenAI API; the ChatGPT backend answers it with 401. A ChatGPT login
    // (a JWT) or no credential at all stays on the Codex upstream (its login may be injected).
    if (hasApiKey(headers)) {
      origin.declaredProvider = API_KEY_PROVIDER;
      origin.providerRule = 'codex with an API key → the OpenAI API';
    }
    return origin;
  },
};

/**
 * `/v1/responses[/…]` and `/backend-api/codex/responses[/…]` → `{upstream}/responses[/…]`;
 * any other `/backend-api/…` path keeps its path on the upstream's origin.
 */
export const codexProvider: ProviderDefinition = {
  name: PROVIDER,
  upstream: DEFAULT_UPSTREAM,
  pathPrefixes: ['/backend-api/'],
  mapUrl({ path, search }, upstream) {
    const base = upstream.pathname.replace(/\/$/, '');
    for (const prefix of RESPONSES_PATHS) {
      if (isAtOrBelow(path, prefix)) return `${upstream.origin}${base}/responses${path.slice(prefix.length)}${search}`;
    }
    if (path.startsWith('/backend-api/')) return `${upstream.origin}${path}${search}`;
    return null;
  },
};

export default definePlugin({
  name: PLATFORM,
  apiVersion: 1,
  setup(ctx) {
    ctx.providers.register(codexProvider);
    ctx.bridge.register(codexSignal);
    ctx.credentials.register(codexLoginCredentials(ctx.config.credentials.codex));
  },
});
