import type { TokenPakConfig } from '@tokenpak/core';
import { redactText } from '@tokenpak/core';
import { shownPath } from '../home-dir';
import { readCodexLogin } from '../integrations/codex-login';
import { fail, ok, type CheckResult } from './check-result';
import { readClaudeLogin } from './claude-login';

/** A provider as the running config sees it (built-ins from the config, the rest from plugins). */
export interface ProviderFacts {
  name: string;
  upstream: string | null;
  /** The credential source serving it (`caller`, `claude-login`, `codex-login`, a plugin's). */
  credentials: string;
}

/** An upstream URL fit to print: no user-info, no query, token shapes masked. */
export function shownUpstream(upstream: string | null): string {
  if (!upstream) return '(no upstream)';
  try {
    const url = new URL(upstream);
    url.username = '';
    url.password = '';
    url.search = '';
    return redactText(url.toString().replace(/\/$/, ''));
  } catch {
    return redactText(upstream);
  }
}

/**
 * One line per provider: upstream (redacted), credential source, and for a login-file source
 * whether the file exists, parses and is not expired. Never prints a token.
 */
export async function providerChecks(
  providers: readonly ProviderFacts[],
  registered: readonly string[],
  config: TokenPakConfig,
  env: NodeJS.ProcessEnv,
  now: number,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const provider of providers) {
    const id = `provider:${provider.name}`;
    const head = `${provider.name} → ${shownUpstream(provider.upstream)}, credentials: ${provider.credentials}`;
    const facts = { upstream: shownUpstream(provider.upstream), credentials: provider.credentials };
    if (provider.credentials === 'caller') {
      results.push(ok(id, `${head} (the caller's own)`, facts));
    } else if (!registered.includes(provider.credentials)) {
      results.push(
        fail(
          id,
          `${head}: no credential source named "${provider.credentials}" is registered`,
          `use one of: ${registered.join(', ')} (providers.${provider.name}.credentials)`,
          facts,
        ),
      );
    } else if (provider.credentials === 'claude-login') {
      const file = config.credentials.claudeCode;
      const login = await readClaudeLogin(file, now);
      const fileFacts = { ...facts, file };
      if (login.state === 'ok') results.push(ok(id, `${head} (${shownPath(file, env)} valid)`, fileFacts));
      else if (login.state === 'expired')
        results.push(
          fail(id, `${head}: the token in ${shownPath(file, env)} expired at ${login.expiresAt}`, 'run "claude" once to refresh the login', fileFacts),
        );
      else results.push(fail(id, `${head}: ${login.reason.replace(file, shownPath(file, env))}`, 'run "claude" and log in', fileFacts));
    } else if (provider.credentials === 'codex-login') {
      const file = config.credentials.codex;
      const login = await readCodexLogin(file);
      const fileFacts = { ...facts, file };
      if (login.kind === 'chatgpt') results.push(ok(id, `${head} (${shownPath(file, env)} holds a ChatGPT login)`, fileFacts));
      else
        results.push(
          fail(
            id,
            `${head}: ${login.kind === 'none' ? login.reason.replace(file, shownPath(file, env)) : `${shownPath(file, env)} holds an API key, not a ChatGPT login`}`,
            'run "codex login" with your ChatGPT account',
            fileFacts,
          ),
        );
    } else {
      results.push(ok(id, `${head} (provided by a plugin)`, facts));
    }
  }
  return results;
}
