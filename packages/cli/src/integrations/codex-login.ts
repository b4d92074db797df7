import { readFile } from 'node:fs/promises';

/** How Codex is logged in, from its `auth.json`. */
export type CodexLogin = { kind: 'chatgpt'; accountId?: string; lastRefresh?: string } | { kind: 'api-key' } | { kind: 'none'; reason: string };

/**
 * Reads Codex's login file (`~/.codex/auth.json`: `auth_mode`, `OPENAI_API_KEY`, and for a
 * ChatGPT login `tokens.{id_token,access_token,refresh_token,account_id}` and `last_refresh`).
 * Never returns a token.
 */
export async function readCodexLogin(file: string): Promise<CodexLogin> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { kind: 'none', reason: code === 'ENOENT' ? `${file} does not exist` : `${file} could not be read (${code ?? 'error'})` };
  }
  let auth: { auth_mode?: unknown; OPENAI_API_KEY?: unknown; tokens?: { access_token?: unknown; account_id?: unknown }; last_refresh?: unknown };
  try {
    auth = JSON.parse(text) as typeof auth;
  } catch {
    return { kind: 'none', reason: `${file} is not valid JSON` };
  }
  const hasTokens = typeof auth?.tokens?.access_token === 'string' && auth.tokens.access_token !== '';
  if (auth?.auth_mode === 'chatgpt' || (hasTokens && auth.auth_mode !== 'apikey')) {
    return {
      kind: 'chatgpt',
      ...(typeof auth.tokens?.account_id === 'string' ? { accountId: auth.tokens.account_id } : {}),
      ...(typeof auth.last_refresh === 'string' ? { lastRefresh: auth.last_refresh } : {}),
    };
  }
  if (typeof auth?.OPENAI_API_KEY === 'string' && auth.OPENAI_API_KEY !== '') return { kind: 'api-key' };
  return { kind: 'none', reason: `${file} holds neither a ChatGPT login nor an API key` };
}
