import { HeaderName } from '../http/header-names';
import { readCredentialFile, stringAt } from './read-credential-file';
import { CredentialUnavailableError, type CredentialPlan, type CredentialProvider } from './types';

export const CLAUDE_LOGIN = 'claude-login';
/** The beta flag Anthropic requires with an OAuth (subscription) bearer token. */
export const OAUTH_BETA = 'oauth-2025-04-20';
const HINT = 'run "claude" and log in (it writes the login file TokenPak reads)';

/**
 * Injects the local Claude Code login (`claudeAiOauth.accessToken` from the credentials
 * file) in place of the caller's credentials. Opt-in only (`providers.tokenpak-claude-code
 * .credentials: "claude-login"`, companion dispatch off): `tokenpak start` warns about it.
 */
export function claudeLoginCredentials(file: string, now: () => number = Date.now): CredentialProvider {
  return {
    name: CLAUDE_LOGIN,
    async resolve(): Promise<CredentialPlan> {
      const login = await readCredentialFile(file, HINT);
      const token = stringAt(login, 'claudeAiOauth', 'accessToken');
      if (!token) throw new CredentialUnavailableError(`the login file ${file} has no claudeAiOauth.accessToken`, HINT);
      const expiresAt = (login as { claudeAiOauth?: { expiresAt?: unknown } }).claudeAiOauth?.expiresAt;
      if (typeof expiresAt === 'number' && expiresAt <= now()) {
        throw new CredentialUnavailableError(`the Claude login in ${file} expired at ${new Date(expiresAt).toISOString()}`, HINT);
      }
      return {
        strip: [HeaderName.apiKey, HeaderName.authorization],
        set: { [HeaderName.authorization]: `Bearer ${token}` },
        merge: { [HeaderName.anthropicBeta]: [OAUTH_BETA] },
        note: `credentials: the local Claude Code login from ${file}`,
      };
    },
  };
}
