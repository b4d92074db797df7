/** How one doctor check came out: `fail` makes `tokenpak doctor` exit 1. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `tokenpak doctor` (and one element of `--json`'s `checks`). Never holds a secret. */
export interface CheckResult {
  /** Stable id for scripts and bug reports, e.g. `port`, `provider:tokenpak-openai`, `integration:codex`. */
  id: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about a warn/fail, one line. */
  fix?: string;
  /** Machine-readable facts behind the line (paths, versions, counts). */
  facts?: Record<string, unknown>;
}

export const ok = (id: string, detail: string, facts?: Record<string, unknown>): CheckResult => ({ id, status: 'ok', detail, ...(facts ? { facts } : {}) });
export const warn = (id: string, detail: string, fix: string, facts?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'warn',
  detail,
  fix,
  ...(facts ? { facts } : {}),
});
export const fail = (id: string, detail: string, fix: string, facts?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'fail',
  detail,
  fix,
  ...(facts ? { facts } : {}),
});
