import { readFile } from 'node:fs/promises';

/** The Claude Code login as far as its credentials file tells (never the token itself). */
export type ClaudeLogin =
  | { state: 'ok'; expiresAt?: string; subscription?: string }
  | { state: 'expired'; expiresAt: string; refreshable: boolean }
  | { state: 'missing' | 'invalid'; reason: string };

/**
 * Reads `~/.claude/.credentials.json` (`claudeAiOauth.{accessToken, refreshToken, expiresAt
 * (epoch ms), subscriptionType}`, captures/claude-code/13-oauth-credentials-file).
 */
export async function readClaudeLogin(file: string, now: number): Promise<ClaudeLogin> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { state: 'missing', reason: code === 'ENOENT' ? `${file} does not exist` : `${file} is not readable (${code ?? 'error'})` };
  }
  let oauth: { accessToken?: unknown; refreshToken?: unknown; expiresAt?: unknown; subscriptionType?: unknown } | undefined;
  try {
    oauth = (JSON.parse(text) as { claudeAiOauth?: typeof oauth })?.claudeAiOauth;
  } catch {
    return { state: 'invalid', reason: `${file} is not valid JSON` };
  }
  if (!oauth || typeof oauth.accessToken !== 'string' || oauth.accessToken === '') {
    return { state: 'invalid', reason: `${file} has no claudeAiOauth.accessToken` };
  }
  const expiresAt = typeof oauth.expiresAt === 'number' ? new Date(oauth.expiresAt).toISOString() : undefined;
  if (typeof oauth.expiresAt === 'number' && oauth.expiresAt <= now) {
    return { state: 'expired', expiresAt: expiresAt!, refreshable: typeof oauth.refreshToken === 'string' && oauth.refreshToken !== '' };
  }
  return { state: 'ok', ...(expiresAt ? { expiresAt } : {}), ...(typeof oauth.subscriptionType === 'string' ? { subscription: oauth.subscriptionType } : {}) };
}
