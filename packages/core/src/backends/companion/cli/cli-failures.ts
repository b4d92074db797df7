import { redactText } from '../../../log/redact';
import type { ProxyError } from '../../../http/api-errors';
import { resultErrorMessage, type CliResultRecord } from './cli-records';
import type { CliExit } from './cli-process';

export const INSTALL_HINT =
  'Install Claude Code (`npm install -g @anthropic-ai/claude-code`), run `claude` once in a terminal and log in, ' +
  'or point companion.command (env TOKENPAK_CLAUDE_BIN) at the CLI.';
export const LOGIN_HINT = 'The local Claude Code CLI is not logged in: run `claude` in a terminal, log in (/login), then retry.';

/** How much of stderr (and of unexpected stdout) an error message quotes. */
export const OUTPUT_HEAD_CHARS = 500;

/** Everything known about a finished run, to explain it. */
export interface RunFacts {
  exit: CliExit;
  result: CliResultRecord | null;
  /** The start of stdout when it held no result record. */
  stdoutHead: string;
  command: string;
  timeoutMs: number;
  /** Set when TokenPak stopped the run because its output was unusable (e.g. too large). */
  protocolError: string | null;
}

const LOGIN_PROBLEM = /not logged in|please run \/login|invalid api key|oauth token (?:has )?(?:expired|been revoked)/i;
const MISSING_CONVERSATION = /no conversation found/i;

function head(text: string): string {
  const clean = redactText(text.trim());
  return clean.length > OUTPUT_HEAD_CHARS ? `${clean.slice(0, OUTPUT_HEAD_CHARS)}…` : clean;
}

export function isLoginProblem(result: CliResultRecord): boolean {
  return result.is_error && (result.api_error_status === 401 || LOGIN_PROBLEM.test(resultErrorMessage(result)));
}

/** True when the CLI cannot serve at all: it could not be started, or it is not logged in (a fallback may take over). */
export function isUnavailable(facts: RunFacts): boolean {
  return facts.exit.kind === 'spawn-failed' || (facts.result !== null && isLoginProblem(facts.result));
}

/**
 * True when `--continue` / `--resume` failed because the CLI has no such conversation
 * (session files removed, first run in a fresh cwd): the request is retried in a fresh
 * session with the whole conversation rather than failed.
 */
export function isMissingConversation(facts: RunFacts): boolean {
  if (facts.exit.kind !== 'exited' || facts.exit.stoppedBy || facts.exit.code === 0) return false;
  if (facts.result && !facts.result.is_error) return false;
  return MISSING_CONVERSATION.test(facts.exit.stderrHead) || MISSING_CONVERSATION.test(facts.result ? resultErrorMessage(facts.result) : facts.stdoutHead);
}

/** The error the caller gets for a run that produced no answer (Anthropic error types by status). */
export function describeFailure(facts: RunFacts): ProxyError {
  const { exit, result, command } = facts;
  if (exit.kind === 'spawn-failed') {
    const code = exit.error.code;
    if (code === 'ENOENT')
      return {
        code: 'companion_unavailable',
        status: 502,
        type: 'api_error',
        message: `TokenPak's Claude companion could not find the claude CLI ("${command}"). ${INSTALL_HINT}`,
      };
    if (code === 'EACCES')
      return {
        code: 'companion_unavailable',
        status: 502,
        type: 'api_error',
        message: `TokenPak's Claude companion cannot execute "${command}" (permission denied). ${INSTALL_HINT}`,
      };
    return {
      code: 'companion_unavailable',
      status: 502,
      type: 'api_error',
      message: `TokenPak's Claude companion could not start "${command}": ${exit.error.message}`,
    };
  }
  if (facts.protocolError)
    return { code: 'companion_failed', status: 502, type: 'api_error', message: `the claude CLI's output could not be used: ${facts.protocolError}` };
  if (exit.stoppedBy === 'timeout') {
    return {
      code: 'companion_timeout',
      status: 504,
      type: 'timeout_error',
      message: `the claude CLI did not answer within companion.timeoutMs (${facts.timeoutMs} ms); TokenPak stopped it`,
    };
  }
  if (result?.is_error) {
    if (isLoginProblem(result)) return { code: 'companion_login', status: 401, type: 'authentication_error', message: LOGIN_HINT };
    const status = result.api_error_status ? ` (upstream status ${result.api_error_status})` : '';
    return {
      code: 'companion_failed',
      status: 502,
      type: 'api_error',
      message: `the claude CLI reported an error${status}: ${head(resultErrorMessage(result))}`,
    };
  }
  if (exit.code !== null && exit.code !== 0) {
    const stderr = head(exit.stderrHead);
    return {
      code: 'companion_failed',
      status: 502,
      type: 'api_error',
      message: `the claude CLI exited with code ${exit.code}: ${stderr || '(nothing on stderr)'}`,
    };
  }
  if (exit.signal) return { code: 'companion_failed', status: 502, type: 'api_error', message: `the claude CLI was killed by ${exit.signal}` };
  const stdout = head(facts.stdoutHead);
  return {
    code: 'companion_failed',
    status: 502,
    type: 'api_error',
    message: stdout
      ? `the claude CLI's output could not be understood (no result record): ${stdout}`
      : 'the claude CLI printed no answer (no result record on stdout)',
  };
}
