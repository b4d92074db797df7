import type { TokenPakConfig } from '@tokenpak/core';
import { shownPath } from '../home-dir';
import { readCodexLogin } from '../integrations/codex-login';
import { ok, warn, type CheckResult } from './check-result';

/** Whether Codex is logged in (ChatGPT or API key), from `credentials.codex`; no token is printed. */
export async function codexLoginCheck(config: TokenPakConfig, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const file = config.credentials.codex;
  const shown = shownPath(file, env);
  const login = await readCodexLogin(file);
  if (login.kind === 'chatgpt')
    return ok('codex-login', `Codex ChatGPT login present (${shown}${login.lastRefresh ? `, refreshed ${login.lastRefresh}` : ''})`, {
      file,
      kind: login.kind,
    });
  if (login.kind === 'api-key') return ok('codex-login', `Codex API-key login present (${shown})`, { file, kind: login.kind });
  return warn('codex-login', `no Codex login: ${login.reason.replace(file, shown)}`, 'run "codex login" if you use Codex (not needed otherwise)', {
    file,
    kind: login.kind,
  });
}
