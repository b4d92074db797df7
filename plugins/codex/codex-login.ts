import { CredentialUnavailableError, readCredentialFile, stringAt, type CredentialPlan, type CredentialProvider } from '@tokenpak/core/plugin';

export const CODEX_LOGIN = 'codex-login';
const HINT = 'run "codex login" (it writes the login file TokenPak reads)';
const JWT_BEARER = /^\s*bearer\s+eyJ/i;

/**
 * Serves callers that have no ChatGPT token (another agent pointed at TokenPak's
 * `/v1/responses`) with the local Codex login: `tokens.access_token` (and optional
 * `tokens.account_id`) from `~/.codex/auth.json`, read fresh on every request because
 * Codex rotates it. A caller that already sends its own ChatGPT token keeps it.
 */
export function codexLoginCredentials(file: string): CredentialProvider {
  return {
    name: CODEX_LOGIN,
    async resolve({ headers }): Promise<CredentialPlan> {
      if (JWT_BEARER.test(headers.get('authorization') ?? '')) return { note: 'credentials: the caller sends its own ChatGPT token; kept' };
      const login = await readCredentialFile(file, HINT);
      const accessToken = stringAt(login, 'tokens', 'access_token');
      if (!accessToken) throw new CredentialUnavailableError(`the Codex login file ${file} has no tokens.access_token`, HINT);
      const accountId = stringAt(login, 'tokens', 'account_id');
      return {
        strip: ['authorization', 'x-api-key', 'chatgpt-account-id'],
        set: { authorization: `Bearer ${accessToken}`, ...(accountId ? { 'chatgpt-account-id': accountId } : {}) },
        note: `credentials: the local Codex login from ${file}`,
      };
    },
  };
}
