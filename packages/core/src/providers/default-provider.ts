import { HeaderName } from '../http/header-names';
import { Provider } from '../decision/route-decision';

const OPENAI_PATHS = ['/v1/chat/completions', '/v1/embeddings', '/v1/completions'];

/**
 * The provider whose upstream serves a `/v1/…` path when the request names no other
 * (ARCHITECTURE §2.5): Messages → Anthropic; OpenAI API paths → OpenAI; `/v1/models`
 * by auth/version headers; anything else by `anthropic-version`.
 */
export function defaultProviderForPath(path: string, headers: Pick<Headers, 'has'>): string | null {
  if (!path.startsWith('/v1/')) return null;
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return Provider.anthropic;
  if (OPENAI_PATHS.includes(path) || path === '/v1/responses' || path.startsWith('/v1/responses/')) return Provider.openai;
  const anthropicVersion = headers.has(HeaderName.anthropicVersion);
  if (path === '/v1/models' || path.startsWith('/v1/models/')) {
    return anthropicVersion || headers.has(HeaderName.apiKey) ? Provider.anthropic : Provider.openai;
  }
  return anthropicVersion ? Provider.anthropic : Provider.openai;
}
