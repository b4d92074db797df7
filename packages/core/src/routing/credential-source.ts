import type { TokenPakConfig } from '../config/schema';
import { CALLER_CREDENTIALS } from '../credentials/credential-registry';
import { CLAUDE_LOGIN } from '../credentials/claude-login-credentials';
import { Provider, type Via } from '../decision/route-decision';

/**
 * Which credential source serves the request (ARCHITECTURE §2.4): the provider's
 * `providers.<name>.credentials` (default `caller`). The Claude-login injection applies
 * only to HTTP-forwarded `tokenpak-claude-code` traffic with companion dispatch off;
 * companion runs use the CLI's own login and send nothing of the caller's.
 */
export function selectCredentialSource(provider: string | null, via: Via, config: TokenPakConfig, reasons: string[]): string {
  if (via === 'companion') {
    reasons.push('credentials: none from the caller (the claude CLI uses its own login)');
    return 'claude-cli';
  }
  const configured = provider ? config.providers[provider]?.credentials : undefined;
  if (!configured || configured === CALLER_CREDENTIALS) return CALLER_CREDENTIALS;
  if (configured === CLAUDE_LOGIN && provider === Provider.claudeCode && config.companion.dispatch) {
    reasons.push(`credentials: ${CLAUDE_LOGIN} applies only with companion dispatch off; using the caller's`);
    return CALLER_CREDENTIALS;
  }
  reasons.push(`credentials: ${configured} (providers.${provider}.credentials)`);
  return configured;
}
