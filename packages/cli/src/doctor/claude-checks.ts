import type { TokenPakConfig } from '@tokenpak/core';
import { shownPath } from '../home-dir';
import { fail, ok, warn, type CheckResult } from './check-result';
import { readClaudeLogin } from './claude-login';

/** `claude --version` as the companion runs it (core's ClaudeCliProbe). */
export type ClaudeVersion = { state: 'found'; version: string } | { state: 'error'; error: string };

const INSTALL = 'install Claude Code (npm install -g @anthropic-ai/claude-code), or set companion.command / TOKENPAK_CLAUDE_BIN';

/**
 * The companion's prerequisites: the `claude` CLI, a login it can use, and its tool policy.
 * A missing CLI or login is a `fail` while `companion.dispatch` is on (every Claude Code
 * request would get a 502), a `warn` when it is off.
 */
export async function claudeChecks(config: TokenPakConfig, version: ClaudeVersion, env: NodeJS.ProcessEnv, now: number): Promise<CheckResult[]> {
  const needed = config.companion.dispatch || config.providers['tokenpak-claude-code']?.credentials === 'claude-login';
  const problem = needed ? fail : warn;
  const results: CheckResult[] = [];
  const command = config.companion.command;
  results.push(
    version.state === 'found'
      ? ok('claude', `claude CLI ${version.version} ("${command}")`, { command, version: version.version })
      : problem('claude', `claude CLI unavailable: ${version.error.split('. ')[0]}`, INSTALL, { command }),
  );

  const file = config.credentials.claudeCode;
  const shown = shownPath(file, env);
  const login = await readClaudeLogin(file, now);
  const relogin = `run "claude" and log in (/login); it writes ${shown}`;
  if (login.state === 'ok') {
    results.push(
      ok(
        'claude-login',
        `logged in (${shown}${login.subscription ? `, ${login.subscription} plan` : ''}${login.expiresAt ? `, token valid until ${login.expiresAt}` : ''})`,
        { file, ...login },
      ),
    );
  } else if (login.state === 'expired') {
    // The CLI refreshes an expired access token itself when it holds a refresh token;
    // injecting the token directly (claude-login credentials) cannot.
    const directUse = config.providers['tokenpak-claude-code']?.credentials === 'claude-login' && !config.companion.dispatch;
    const check = directUse || !login.refreshable ? problem : warn;
    results.push(
      check(
        'claude-login',
        `the Claude login in ${shown} expired at ${login.expiresAt}${login.refreshable ? ' (the CLI can refresh it)' : ''}`,
        `run "claude" once to refresh it, or ${relogin}`,
        {
          file,
          ...login,
        },
      ),
    );
  } else if (login.state === 'missing' && process.platform === 'darwin') {
    // On macOS Claude Code keeps its login in the Keychain, which doctor does not read.
    results.push(
      warn('claude-login', `no ${shown}: on macOS the Claude login is in the Keychain, which doctor cannot check`, `if requests fail with 401, ${relogin}`, {
        file,
        state: login.state,
      }),
    );
  } else {
    results.push(problem('claude-login', `not logged in: ${login.reason.replace(file, shown)}`, relogin, { file, state: login.state }));
  }

  // companion.tools is added in wave 2 by another part; read it without relying on the type.
  const tools = (config.companion as Record<string, unknown>).tools;
  results.push(
    ok(
      'companion-tools',
      typeof tools === 'string' && tools.trim() !== ''
        ? `companion tool policy: built-in CLI tools allowed: ${tools}`
        : 'companion tool policy: no built-in CLI tools (companion.tools is empty)',
      { tools: typeof tools === 'string' ? tools : null, dispatch: config.companion.dispatch },
    ),
  );
  return results;
}
