import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The routing precedence matrix (ARCHITECTURE §2.2–§2.4), as data. Every expectation
 * here is derived from the spec tables, not from the implementation.
 * Used in-process by `precedence-matrix.test.ts` and, for the rows marked `e2e`,
 * through the running proxy, `tokenpak route` and `POST /tokenpak/route` by
 * `test/e2e/route-header.test.ts`.
 */

export interface RouteExpectation {
  platform: string | null;
  session: string | null;
  provider: string | null;
  providerSource: string;
  routeClass: string;
  backend: 'api' | 'oauth' | 'codex';
}

export interface MatrixRow {
  /** Short unique id (section letter + number). */
  id: string;
  title: string;
  /** Default POST. */
  method?: string;
  /** Path, optionally with a query string. Default `/v1/messages`. */
  path?: string;
  /** Header names/values exactly as a client would send them (case and whitespace included). */
  headers: Record<string, string>;
  expect: RouteExpectation;
  /** An unknown `X-TokenPak-Backend` value the decision's `reasons` must warn about. */
  unknownBackend?: string;
  /** Part of the representative end-to-end subset. */
  e2e?: boolean;
}

export const AN = 'tokenpak-anthropic';
export const CC = 'tokenpak-claude-code';
export const CX = 'tokenpak-openai-codex';
export const OA = 'tokenpak-openai';

/** Fake credentials, one per auth shape (tests assert none of them leaks). */
export const SECRET = {
  apiKey: 'sk-ant-api03-MATRIXkey-0000000001',
  apiKeyBearer: 'sk-ant-api03-MATRIXbearer-0000002',
  proj: 'sk-proj-MATRIXproj-000000003',
  plainSk: 'sk-MATRIXplain-000000004',
  oat: 'sk-ant-oat01-MATRIXoauth-000000005',
  jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYXRyaXgtdXNlciJ9.c2lnbmF0dXJlLW1hdHJpeA',
  opaque: 'opaque-MATRIX-token-000000006',
} as const;

const SID = {
  openclaw: '6f1c2a9e-openclaw-session-0001',
  codex: '01a20e8e-79b2-7601-ab5a-fbe57bed20c4',
  claude: '8574fc30-1981-44d4-bea8-b9027a48fcb5',
} as const;

/** The built-in claude-code plugin's platform: names platform and session, never a provider. */
const CLAUDE_CODE = 'claude-code';

const CLI_UA = (entrypoint: string): string => `claude-cli/2.1.197 (external, ${entrypoint})`;

function x(
  platform: string | null,
  session: string | null,
  provider: string | null,
  providerSource: string,
  routeClass: string,
  backend: RouteExpectation['backend'],
): RouteExpectation {
  return { platform, session, provider, providerSource, routeClass, backend };
}

const NONE = null;

export const MATRIX: readonly MatrixRow[] = [
  // ── §2.2 rule 1: X-TokenPak-Provider (trimmed, non-empty, kept as given) ──────────────
  {
    id: 'A1',
    title: 'X-TokenPak-Provider names tokenpak-anthropic, no auth',
    headers: { 'X-TokenPak-Provider': AN },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'A2',
    title: 'lower-case name, padded value → trimmed',
    headers: { 'x-tokenpak-provider': `   ${CC}   ` },
    expect: x(NONE, NONE, CC, 'header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'A3',
    title: 'upper-case name, unknown provider name kept as given',
    headers: { 'X-TOKENPAK-PROVIDER': 'My-Gateway' },
    expect: x(NONE, NONE, 'My-Gateway', 'header', 'anthropic-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'A4',
    title: 'value case is kept: TOKENPAK-CLAUDE-CODE is not tokenpak-claude-code',
    headers: { 'X-TokenPak-Provider': 'TOKENPAK-CLAUDE-CODE' },
    expect: x(NONE, NONE, 'TOKENPAK-CLAUDE-CODE', 'header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'A5',
    title: 'blank X-TokenPak-Provider counts as absent → OpenClaw user agent decides',
    headers: { 'X-TokenPak-Provider': '    ', 'User-Agent': 'openclaw' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
    e2e: true,
  },
  {
    id: 'A6',
    title: 'empty X-TokenPak-Provider and nothing else → no provider',
    headers: { 'X-TokenPak-Provider': '', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'A7',
    title: 'X-TokenPak-Provider beats the X-TokenPak-Backend alias (backend header still picks the backend)',
    headers: { 'X-TokenPak-Provider': AN, 'X-TokenPak-Backend': 'claude-code', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
  },
  {
    id: 'A8',
    title: 'X-TokenPak-Provider beats the OpenClaw session signal; platform and session still reported',
    headers: { 'X-OpenClaw-Session': SID.openclaw, 'X-TokenPak-Provider': AN, 'x-api-key': SECRET.apiKey },
    expect: x('openclaw', SID.openclaw, AN, 'header', 'anthropic-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'A9',
    title: 'X-TokenPak-Provider beats the Codex signal; Codex session still reported',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', 'session-id': SID.codex, authorization: `Bearer ${SECRET.jwt}`, 'X-TokenPak-Provider': AN },
    expect: x('codex', SID.codex, AN, 'header', 'openai-sdk', 'oauth'),
  },
  {
    id: 'A10',
    title: 'X-TokenPak-Provider tokenpak-openai-codex → codex backend',
    path: '/v1/responses',
    headers: { 'X-TokenPak-Provider': CX, authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, CX, 'header', 'openai-sdk', 'codex'),
  },
  {
    id: 'A11',
    title: 'X-TokenPak-Provider tokenpak-openai on chat completions → api',
    path: '/v1/chat/completions',
    headers: { 'X-TokenPak-Provider': OA, authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, OA, 'header', 'openai-sdk', 'api'),
  },
  {
    id: 'A12',
    title: 'X-TokenPak-Provider tokenpak-claude-code with an API key → oauth whatever the auth',
    headers: { 'X-TokenPak-Provider': CC, 'x-api-key': SECRET.apiKey, 'User-Agent': 'python-requests/2.31' },
    expect: x(NONE, NONE, CC, 'header', 'claude-code-cli', 'oauth'),
  },

  // ── §2.2 rule 2: X-TokenPak-Backend alias (trimmed, case-insensitive) ─────────────────
  {
    id: 'B1',
    title: 'X-TokenPak-Backend claude-code → tokenpak-claude-code',
    headers: { 'X-TokenPak-Backend': 'claude-code' },
    expect: x(NONE, NONE, CC, 'backend-header', 'claude-code-cli', 'oauth'),
    e2e: true,
  },
  {
    id: 'B2',
    title: 'lower-case name, mixed-case value OAuth',
    headers: { 'x-tokenpak-backend': 'OAuth' },
    expect: x(NONE, NONE, CC, 'backend-header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'B3',
    title: 'padded upper-case API → tokenpak-anthropic, api',
    headers: { 'X-TOKENPAK-BACKEND': '  API  ', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, AN, 'backend-header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'B4',
    title: 'X-TokenPak-Backend api beats a bearer auth shape',
    headers: { 'X-TokenPak-Backend': 'api', authorization: `Bearer ${SECRET.oat}` },
    expect: x(NONE, NONE, AN, 'backend-header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'B5',
    title: 'X-TokenPak-Backend api with Claude Code traffic: family class, api backend',
    headers: { 'X-TokenPak-Backend': 'api', 'User-Agent': CLI_UA('cli'), 'X-Claude-Code-Session-Id': SID.claude, 'x-api-key': SECRET.apiKey },
    expect: x(CLAUDE_CODE, SID.claude, AN, 'backend-header', 'claude-code-cli', 'api'),
  },
  {
    id: 'B6',
    title: 'X-TokenPak-Backend oauth with an OpenClaw session: alias decides, session reported',
    headers: { 'X-TokenPak-Backend': 'oauth', 'X-OpenClaw-Session': SID.openclaw },
    expect: x('openclaw', SID.openclaw, CC, 'backend-header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'B7',
    title: 'X-TokenPak-Backend api beats the OpenClaw user-agent signal',
    headers: { 'X-TokenPak-Backend': 'api', 'User-Agent': 'openclaw' },
    expect: x('openclaw', NONE, AN, 'backend-header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'B8',
    title: 'blank X-TokenPak-Backend counts as absent',
    headers: { 'X-TokenPak-Backend': '   ', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'B9',
    title: 'X-TokenPak-Backend CLAUDE-CODE (upper case)',
    headers: { 'X-TokenPak-Backend': 'CLAUDE-CODE', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, CC, 'backend-header', 'claude-code-cli', 'oauth'),
  },

  // ── §2.4 rule 1: unknown X-TokenPak-Backend values are noted in reasons and ignored ────
  {
    id: 'C1',
    title: 'unknown backend "companion" ignored',
    headers: { 'X-TokenPak-Backend': 'companion', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
    unknownBackend: 'companion',
    e2e: true,
  },
  {
    id: 'C2',
    title: 'unknown backend "codex" ignored, OpenClaw signal decides',
    headers: { 'X-TokenPak-Backend': 'codex', 'User-Agent': 'openclaw' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
    unknownBackend: 'codex',
  },
  {
    id: 'C3',
    title: 'unknown backend "bogus" ignored, provider × bearer decides',
    headers: { 'X-TokenPak-Backend': 'bogus', 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.jwt}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
    unknownBackend: 'bogus',
  },
  {
    id: 'C4',
    title: 'unknown backend "claude_code" ignored, route class decides',
    headers: { 'X-TokenPak-Backend': 'claude_code', 'X-Claude-Code-Session-Id': SID.claude },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-cli', 'oauth'),
    unknownBackend: 'claude_code',
  },
  {
    id: 'C5',
    title: 'unknown backend "apikey" ignored, provider × key decides',
    headers: { 'X-TokenPak-Backend': 'apikey', 'X-TokenPak-Provider': AN, 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
    unknownBackend: 'apikey',
  },

  // ── §2.2 rule 3: the OpenClaw signal (session header, user agent) ─────────────────────
  {
    id: 'D1',
    title: 'X-OpenClaw-Session → openclaw with that session',
    headers: { 'X-OpenClaw-Session': SID.openclaw, 'x-api-key': SECRET.apiKey },
    expect: x('openclaw', SID.openclaw, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
    e2e: true,
  },
  {
    id: 'D2',
    title: 'lower-case session header name, padded value → trimmed',
    headers: { 'x-openclaw-session': '  oc-padded-1  ' },
    expect: x('openclaw', 'oc-padded-1', CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D3',
    title: 'upper-case session header name, value case kept',
    headers: { 'X-OPENCLAW-SESSION': 'OC-Upper-2' },
    expect: x('openclaw', 'OC-Upper-2', CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D4',
    title: 'blank X-OpenClaw-Session counts as absent (curl user agent)',
    headers: { 'X-OpenClaw-Session': '   ', 'User-Agent': 'curl/8' },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'D5',
    title: 'User-Agent openclaw',
    headers: { 'User-Agent': 'openclaw' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D6',
    title: 'User-Agent OpenClaw (mixed case)',
    headers: { 'User-Agent': 'OpenClaw' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D7',
    title: 'User-Agent OPENCLAW/2026.9.6 (upper case, versioned)',
    headers: { 'user-agent': 'OPENCLAW/2026.9.6' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D8',
    title: 'User-Agent OpenClaw-Gateway/1.0',
    headers: { 'User-Agent': 'OpenClaw-Gateway/1.0', 'x-api-key': SECRET.apiKey },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
    e2e: true,
  },
  {
    id: 'D9',
    title: 'User-Agent openclawish (a prefix match)',
    headers: { 'User-Agent': 'openclawish' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D10',
    title: 'User-Agent curl/8 → no signal',
    headers: { 'User-Agent': 'curl/8', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'D11',
    title: 'User-Agent python-requests/2.31 → no signal',
    headers: { 'User-Agent': 'python-requests/2.31', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'D12',
    title: 'User-Agent my-openclaw/1.0 (not a prefix) → no signal',
    headers: { 'User-Agent': 'my-openclaw/1.0' },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'D13',
    title: 'session header and OpenClaw user agent: session from the header',
    headers: { 'User-Agent': 'OpenClaw/1.0', 'X-OpenClaw-Session': 'oc-both-3' },
    expect: x('openclaw', 'oc-both-3', CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D14',
    title: 'OpenClaw user agent with x-claude-code-entrypoint tmux',
    headers: { 'User-Agent': 'openclaw', 'x-claude-code-entrypoint': 'tmux' },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-tmux', 'oauth'),
  },
  {
    id: 'D15',
    title: 'OpenClaw session with x-claude-code-entrypoint cron',
    headers: { 'X-OpenClaw-Session': 'oc-cron-4', 'X-Claude-Code-Entrypoint': 'cron' },
    expect: x('openclaw', 'oc-cron-4', CC, 'signal:openclaw', 'claude-code-cron', 'oauth'),
  },
  {
    id: 'D16',
    title: 'OpenClaw user agent on chat completions with an OpenAI key → still claude-code/oauth',
    path: '/v1/chat/completions',
    headers: { 'User-Agent': 'openclaw', authorization: `Bearer ${SECRET.proj}` },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'D17',
    title: 'OpenClaw user agent with a Claude OAuth bearer',
    headers: { 'User-Agent': 'OpenClaw', authorization: `Bearer ${SECRET.oat}` },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },

  // ── §2.4 rule 2: provider tokenpak-anthropic × auth shape ──────────────────────────────
  {
    id: 'E1',
    title: 'anthropic × x-api-key → api',
    headers: { 'X-TokenPak-Provider': AN, 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'E2',
    title: 'anthropic × Bearer sk-ant-api… (SDK 1.x key) → api',
    headers: { 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.apiKeyBearer}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'E3',
    title: 'anthropic × Bearer sk-proj-… → api',
    headers: { 'X-TokenPak-Provider': AN, Authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'E4',
    title: 'anthropic × Bearer sk-… → api',
    headers: { 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.plainSk}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'E5',
    title: 'anthropic × Bearer sk-ant-oat… (Claude OAuth) → oauth',
    headers: { 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.oat}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
    e2e: true,
  },
  {
    id: 'E6',
    title: 'anthropic × Bearer eyJ… (JWT) → oauth',
    headers: { 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.jwt}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
  },
  {
    id: 'E7',
    title: 'anthropic × opaque bearer → oauth',
    headers: { 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.opaque}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
  },
  {
    id: 'E8',
    title: 'anthropic × both x-api-key and an OAuth bearer → key → api',
    headers: { 'X-TokenPak-Provider': AN, 'x-api-key': SECRET.apiKey, authorization: `Bearer ${SECRET.oat}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
  },
  { id: 'E9', title: 'anthropic × no auth → api', headers: { 'X-TokenPak-Provider': AN }, expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api') },
  {
    id: 'E10',
    title: 'anthropic × empty x-api-key (ignored) → none → api',
    headers: { 'X-TokenPak-Provider': AN, 'x-api-key': '' },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'api'),
  },
  {
    id: 'E11',
    title: 'anthropic × empty x-api-key plus an OAuth bearer → bearer → oauth',
    headers: { 'X-TokenPak-Provider': AN, 'x-api-key': '', authorization: `Bearer ${SECRET.oat}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
  },
  {
    id: 'E12',
    title: 'anthropic × lower-case "bearer" scheme with an OAuth token → oauth',
    headers: { 'X-TokenPak-Provider': AN, authorization: `bearer ${SECRET.oat}` },
    expect: x(NONE, NONE, AN, 'header', 'anthropic-sdk', 'oauth'),
  },
  {
    id: 'E13',
    title: 'anthropic × OAuth bearer with anthropic-beta oauth- → family class, oauth',
    headers: { 'X-TokenPak-Provider': AN, authorization: `Bearer ${SECRET.oat}`, 'anthropic-beta': 'oauth-2025-04-20' },
    expect: x(NONE, NONE, AN, 'header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'E14',
    title: 'claude-code × no auth → oauth',
    headers: { 'X-TokenPak-Provider': CC },
    expect: x(NONE, NONE, CC, 'header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'E15',
    title: 'claude-code × Bearer sk-ant-api… → oauth (whatever auth)',
    headers: { 'X-TokenPak-Provider': CC, authorization: `Bearer ${SECRET.apiKeyBearer}` },
    expect: x(NONE, NONE, CC, 'header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'E16',
    title: 'openai-codex × x-api-key on /v1/messages → codex',
    headers: { 'X-TokenPak-Provider': CX, 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, CX, 'header', 'anthropic-sdk', 'codex'),
  },

  // ── §2.3 route classes with no provider (and §2.4 rules 3/4) ───────────────────────────
  {
    id: 'F1',
    title: 'claude-cli/… (external, cli) user agent → claude-code-cli, oauth',
    headers: { 'User-Agent': CLI_UA('cli'), 'x-api-key': SECRET.apiKey },
    expect: x(CLAUDE_CODE, NONE, NONE, 'none', 'claude-code-cli', 'oauth'),
    e2e: true,
  },
  {
    id: 'F2',
    title: 'claude-code/… user agent → family',
    headers: { 'User-Agent': 'claude-code/1.0.3' },
    expect: x(NONE, NONE, NONE, 'none', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'F3',
    title: 'anthropic-python/… → anthropic-sdk, api',
    headers: { 'User-Agent': 'anthropic-python/0.40.0', 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'F4',
    title: 'Anthropic/JS … beats an OpenAI path',
    path: '/v1/chat/completions',
    headers: { 'User-Agent': 'Anthropic/JS 0.54.0', authorization: `Bearer ${SECRET.apiKeyBearer}` },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'F5',
    title: 'openai-python/… beats the Messages path',
    headers: { 'User-Agent': 'openai-python/1.51.0', authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, NONE, 'none', 'openai-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'F6',
    title: 'OpenAI/JS … on /v1/responses with a key → openai-sdk, not codex',
    path: '/v1/responses',
    headers: { 'User-Agent': 'OpenAI/JS 7.15.0', authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, NONE, 'none', 'openai-sdk', 'api'),
  },
  {
    id: 'F7',
    title: 'x-claude-code-session-id with a curl user agent → family',
    headers: { 'X-Claude-Code-Session-Id': SID.claude, 'User-Agent': 'curl/8' },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'F8',
    title: 'bearer + anthropic-beta containing oauth- → family',
    headers: { authorization: `Bearer ${SECRET.oat}`, 'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14' },
    expect: x(NONE, NONE, NONE, 'none', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'F9',
    title: 'x-api-key + anthropic-beta oauth- (no bearer) → not family',
    headers: { 'x-api-key': SECRET.apiKey, 'anthropic-beta': 'oauth-2025-04-20' },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'F10',
    title: 'JWT bearer without an oauth- beta on /v1/messages → anthropic-sdk, api',
    headers: { authorization: `Bearer ${SECRET.jwt}`, 'anthropic-beta': 'prompt-caching-2024-07-31' },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'F11',
    title: 'chat completions path, no user agent → openai-sdk',
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, NONE, 'none', 'openai-sdk', 'api'),
  },
  {
    id: 'F12',
    title: 'responses path with an sk- key → openai-sdk',
    path: '/v1/responses',
    headers: { authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, NONE, 'none', 'openai-sdk', 'api'),
  },
  {
    id: 'F13',
    title: 'GET /v1/models → generic',
    method: 'GET',
    path: '/v1/models',
    headers: { authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, NONE, 'none', 'generic', 'api'),
    e2e: true,
  },
  {
    id: 'F14',
    title: '/v1/messages/count_tokens → anthropic-sdk',
    path: '/v1/messages/count_tokens',
    headers: { 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'F15',
    title: '/v1/messages?beta=true → anthropic-sdk',
    path: '/v1/messages?beta=true',
    headers: { 'x-api-key': SECRET.apiKey },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
  },
  {
    id: 'F16',
    title: '/v1/embeddings → generic',
    path: '/v1/embeddings',
    headers: { authorization: `Bearer ${SECRET.proj}` },
    expect: x(NONE, NONE, NONE, 'none', 'generic', 'api'),
  },

  // ── §2.3 mode inside the Claude-Code family ────────────────────────────────────────────
  {
    id: 'G1',
    title: 'x-claude-code-entrypoint cli',
    headers: { 'X-Claude-Code-Session-Id': SID.claude, 'x-claude-code-entrypoint': 'cli' },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'G2',
    title: 'x-claude-code-entrypoint sdk',
    headers: { 'X-Claude-Code-Session-Id': SID.claude, 'x-claude-code-entrypoint': 'sdk' },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-sdk', 'oauth'),
  },
  {
    id: 'G3',
    title: 'x-claude-code-entrypoint ide',
    headers: { 'X-Claude-Code-Session-Id': SID.claude, 'X-Claude-Code-Entrypoint': 'ide' },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-ide', 'oauth'),
  },
  {
    id: 'G4',
    title: 'x-claude-code-entrypoint tmux',
    headers: { 'X-Claude-Code-Session-Id': SID.claude, 'x-claude-code-entrypoint': 'tmux' },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-tmux', 'oauth'),
  },
  {
    id: 'G5',
    title: 'x-claude-code-entrypoint cron',
    headers: { 'X-Claude-Code-Session-Id': SID.claude, 'X-CLAUDE-CODE-ENTRYPOINT': 'cron' },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-cron', 'oauth'),
  },
  {
    id: 'G6',
    title: 'user agent (external, sdk-cli) → cli',
    headers: { 'User-Agent': CLI_UA('sdk-cli'), 'X-Claude-Code-Session-Id': SID.claude, 'x-api-key': SECRET.apiKey },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'G7',
    title: 'user agent (external, sdk-ts) → sdk',
    headers: { 'User-Agent': CLI_UA('sdk-ts'), 'x-api-key': SECRET.apiKey },
    expect: x(CLAUDE_CODE, NONE, NONE, 'none', 'claude-code-sdk', 'oauth'),
    e2e: true,
  },
  {
    id: 'G8',
    title: 'user agent (external, sdk-py) → sdk',
    headers: { 'User-Agent': CLI_UA('sdk-py') },
    expect: x(CLAUDE_CODE, NONE, NONE, 'none', 'claude-code-sdk', 'oauth'),
  },
  {
    id: 'G9',
    title: 'user agent (external, cli) with a session id → cli',
    headers: { 'User-Agent': CLI_UA('cli'), 'X-Claude-Code-Session-Id': SID.claude },
    expect: x(CLAUDE_CODE, SID.claude, NONE, 'none', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'G10',
    title: 'x-claude-code-entrypoint beats the user agent entrypoint',
    headers: { 'User-Agent': CLI_UA('sdk-ts'), 'x-claude-code-entrypoint': 'ide' },
    expect: x(CLAUDE_CODE, NONE, NONE, 'none', 'claude-code-ide', 'oauth'),
  },
  {
    id: 'G11',
    title: 'X-TokenPak-Backend oauth with entrypoint sdk → claude-code-sdk',
    headers: { 'X-TokenPak-Backend': 'oauth', 'x-claude-code-entrypoint': 'sdk' },
    expect: x(NONE, NONE, CC, 'backend-header', 'claude-code-sdk', 'oauth'),
  },

  // ── the Codex signal ───────────────────────────────────────────────────────────────────
  {
    id: 'H1',
    title: 'originator codex_exec + session-id + sk- key → codex platform on the OpenAI API',
    path: '/v1/responses',
    headers: {
      originator: 'codex_exec',
      'User-Agent': 'codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm-256color (codex_exec; 0.169.0)',
      'session-id': SID.codex,
      authorization: `Bearer ${SECRET.plainSk}`,
    },
    expect: x('codex', SID.codex, OA, 'signal:codex', 'openai-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'H2',
    title: 'user agent codex_tui/… with session_id (underscore)',
    path: '/v1/responses',
    headers: { 'User-Agent': 'codex_tui/0.169.0', session_id: 'codex-underscore-7' },
    expect: x('codex', 'codex-underscore-7', CX, 'signal:codex', 'openai-sdk', 'codex'),
  },
  {
    id: 'H2a',
    title: 'originator in another case, after spaces ("  Codex_Exec") → codex',
    path: '/v1/responses',
    headers: { originator: '  Codex_Exec' },
    expect: x('codex', NONE, CX, 'signal:codex', 'openai-sdk', 'codex'),
  },
  {
    id: 'H3',
    title: 'JWT bearer on /v1/responses → codex',
    path: '/v1/responses',
    headers: { authorization: `Bearer ${SECRET.jwt}` },
    expect: x('codex', NONE, CX, 'signal:codex', 'openai-sdk', 'codex'),
    e2e: true,
  },
  {
    id: 'H3a',
    title: 'JWT bearer on /v1/responsesX (a path that only starts like the Responses one) → NOT codex',
    path: '/v1/responsesX',
    headers: { authorization: `Bearer ${SECRET.jwt}` },
    expect: x(NONE, NONE, NONE, 'none', 'generic', 'api'),
  },
  {
    id: 'H4',
    title: 'JWT bearer on /v1/messages → NOT codex',
    headers: { authorization: `Bearer ${SECRET.jwt}` },
    expect: x(NONE, NONE, NONE, 'none', 'anthropic-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'H5',
    title: 'JWT bearer on /backend-api/codex/responses → codex',
    path: '/backend-api/codex/responses',
    headers: { authorization: `Bearer ${SECRET.jwt}`, 'session-id': SID.codex, 'chatgpt-account-id': 'acct-matrix-1' },
    expect: x('codex', SID.codex, CX, 'signal:codex', 'generic', 'codex'),
  },
  {
    id: 'H6',
    title: 'originator codex_exec on /v1/messages → still codex',
    headers: { originator: 'codex_exec' },
    expect: x('codex', NONE, CX, 'signal:codex', 'anthropic-sdk', 'codex'),
  },
  {
    id: 'H7',
    title: 'sk- bearer on /v1/responses without a Codex header → not codex',
    path: '/v1/responses',
    headers: { authorization: `Bearer ${SECRET.proj}`, 'session-id': 'not-codex-8' },
    expect: x(NONE, NONE, NONE, 'none', 'openai-sdk', 'api'),
  },
  {
    id: 'H8',
    title: 'user agent codex-mcp-client/… (hyphen) → not codex',
    path: '/v1/responses',
    headers: { 'User-Agent': 'codex-mcp-client/0.169.0' },
    expect: x(NONE, NONE, NONE, 'none', 'openai-sdk', 'api'),
  },
  {
    id: 'H9',
    title: 'session-id wins over session_id',
    path: '/v1/responses',
    headers: { originator: 'codex_tui', 'session-id': 'hyphen-9', session_id: 'underscore-9' },
    expect: x('codex', 'hyphen-9', CX, 'signal:codex', 'openai-sdk', 'codex'),
  },
  {
    id: 'H10',
    title: 'Codex traffic with X-TokenPak-Backend claude-code: alias decides, Codex session kept',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', 'session-id': SID.codex, 'X-TokenPak-Backend': 'claude-code' },
    expect: x('codex', SID.codex, CC, 'backend-header', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'H11',
    title: 'Codex with an x-api-key → the OpenAI API, Codex session kept',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', 'session-id': SID.codex, 'x-api-key': SECRET.proj },
    expect: x('codex', SID.codex, OA, 'signal:codex', 'openai-sdk', 'api'),
  },
  {
    id: 'H12',
    title: 'Codex with a ChatGPT JWT and originator → the Codex upstream',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', 'session-id': SID.codex, authorization: `Bearer ${SECRET.jwt}` },
    expect: x('codex', SID.codex, CX, 'signal:codex', 'openai-sdk', 'codex'),
    e2e: true,
  },
  {
    id: 'H13',
    title: 'Codex with an sk-proj key and X-TokenPak-Provider tokenpak-openai-codex: the header still wins',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', 'session-id': SID.codex, authorization: `Bearer ${SECRET.proj}`, 'X-TokenPak-Provider': CX },
    expect: x('codex', SID.codex, CX, 'header', 'openai-sdk', 'codex'),
  },
  {
    id: 'H14',
    title: 'Codex with a Claude OAuth bearer (not a key) → the Codex upstream',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', authorization: `Bearer ${SECRET.oat}` },
    expect: x('codex', NONE, CX, 'signal:codex', 'openai-sdk', 'codex'),
  },
  {
    id: 'H15',
    title: 'OpenClaw user agent on a Claude Code request: the provider-naming signal still wins',
    headers: { 'User-Agent': 'openclaw', 'X-Claude-Code-Session-Id': SID.claude },
    expect: x('openclaw', NONE, CC, 'signal:openclaw', 'claude-code-cli', 'oauth'),
  },
  {
    id: 'H16',
    title: 'Codex originator with a Claude Code session header: Codex still wins',
    path: '/v1/responses',
    headers: { originator: 'codex_exec', 'session-id': SID.codex, 'X-Claude-Code-Session-Id': SID.claude },
    expect: x('codex', SID.codex, CX, 'signal:codex', 'claude-code-cli', 'codex'),
  },

  // ── a third-party signal (test plugin "acme", priority 10 > OpenClaw's) ─────────────────
  {
    id: 'I1',
    title: 'acme signal alone',
    headers: { 'x-acme-run': 'run-1', 'x-api-key': SECRET.apiKey },
    expect: x('acme', 'run-1', AN, 'signal:acme', 'anthropic-sdk', 'api'),
    e2e: true,
  },
  {
    id: 'I2',
    title: 'acme beats the OpenClaw session header',
    headers: { 'x-acme-run': 'run-2', 'X-OpenClaw-Session': SID.openclaw },
    expect: x('acme', 'run-2', AN, 'signal:acme', 'anthropic-sdk', 'api'),
  },
  {
    id: 'I3',
    title: 'acme beats the OpenClaw user agent',
    headers: { 'X-Acme-Run': 'run-3', 'User-Agent': 'openclaw' },
    expect: x('acme', 'run-3', AN, 'signal:acme', 'anthropic-sdk', 'api'),
  },
  {
    id: 'I4',
    title: 'acme origin declares tokenpak-claude-code (declaredProvider beats defaultProvider)',
    headers: { 'x-acme-run': 'run-4', 'x-acme-provider': CC, 'x-api-key': SECRET.apiKey },
    expect: x('acme', 'run-4', CC, 'signal:acme', 'claude-code-cli', 'oauth'),
    e2e: true,
  },
  {
    id: 'I5',
    title: 'acme origin declares an unknown provider',
    headers: { 'x-acme-run': 'run-5', 'x-acme-provider': 'acme-gateway' },
    expect: x('acme', 'run-5', 'acme-gateway', 'signal:acme', 'anthropic-sdk', 'api'),
  },
  {
    id: 'I6',
    title: 'X-TokenPak-Provider beats the acme signal; acme session kept',
    headers: { 'x-acme-run': 'run-6', 'X-TokenPak-Provider': CX },
    expect: x('acme', 'run-6', CX, 'header', 'anthropic-sdk', 'codex'),
  },
  {
    id: 'I7',
    title: 'acme default provider (anthropic) × OAuth bearer → oauth',
    headers: { 'x-acme-run': 'run-7', authorization: `Bearer ${SECRET.oat}` },
    expect: x('acme', 'run-7', AN, 'signal:acme', 'anthropic-sdk', 'oauth'),
  },
  {
    id: 'I8',
    title: 'acme beats the Codex originator',
    path: '/v1/responses',
    headers: { 'x-acme-run': 'run-8', originator: 'codex_exec' },
    expect: x('acme', 'run-8', AN, 'signal:acme', 'openai-sdk', 'api'),
  },
];

/** The exact `x-tokenpak-route` value the grammar gives for an expectation. */
export function expectedRouteHeader(expect: RouteExpectation, via: 'http' | 'companion' = 'http'): string {
  return (
    `platform=${expect.platform ?? 'none'}; session=${expect.session ?? 'none'}; provider=${expect.provider ?? 'none'}; ` +
    `source=${expect.providerSource}; class=${expect.routeClass}; backend=${expect.backend}; via=${via}`
  );
}

/**
 * ARCHITECTURE §2.4 / the companion issue: with companion dispatch on, `tokenpak-claude-code`
 * on the `oauth` backend is served by the claude CLI for POST /v1/messages (and its
 * count_tokens); everything else is forwarded over HTTP.
 */
export function expectedVia(row: MatrixRow, dispatch: boolean): 'http' | 'companion' {
  const { path } = splitPath(row.path ?? '/v1/messages');
  const companionPath = path === '/v1/messages' || path === '/v1/messages/count_tokens';
  return dispatch && row.expect.provider === CC && row.expect.backend === 'oauth' && companionPath && (row.method ?? 'POST') === 'POST' ? 'companion' : 'http';
}

/** `/v1/messages?beta=true` → `['/v1/messages', '?beta=true']`. */
export function splitPath(full: string): { path: string; search: string } {
  const mark = full.indexOf('?');
  return mark === -1 ? { path: full, search: '' } : { path: full.slice(0, mark), search: full.slice(mark) };
}

/**
 * A drop-in TypeScript plugin (no build step) registering the third-party "acme" signal:
 * `x-acme-run: <id>` → platform acme, session <id>; `x-acme-provider` declares a provider;
 * priority 10, above the built-ins. Returns the plugins dir to put in `plugins.dirs`.
 */
export function writeAcmePlugin(root: string): string {
  const pluginsDir = path.join(root, 'plugins');
  const folder = path.join(pluginsDir, 'acme-agent');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'index.ts'),
    `import { definePlugin, type PlatformOrigin } from '@tokenpak/core';

export default definePlugin({
  name: 'acme-agent',
  apiVersion: 1,
  setup(ctx) {
    ctx.bridge.register({
      name: 'acme',
      defaultProvider: 'tokenpak-anthropic',
      priority: 10,
      extract(headers: Headers): PlatformOrigin | null {
        const run = headers.get('x-acme-run')?.trim();
        if (!run) return null;
        const declared = headers.get('x-acme-provider')?.trim();
        return declared ? { platform: 'acme', sessionId: run, declaredProvider: declared } : { platform: 'acme', sessionId: run };
      },
    });
  },
});
`,
  );
  return pluginsDir;
}
