import Anthropic from '@anthropic-ai/sdk';
import type { TokenPakConfigInput } from '@tokenpak/core';
import { rawRequest, type RawResponse } from '../../support/http-client';
import { startProxy, type RunningProxy } from '../../support/proxy-harness';
import type { FakeClaude } from './fake-claude';

/** What the caller sends as its own credential; it must never reach the CLI. */
export const CALLER_KEY = 'sk-ant-api03-caller-secret-never-to-the-cli';

/** Headers that make a request companion traffic with a platform session (the OpenClaw plugin's header). */
export const sessionHeaders = (sessionId: string): Record<string, string> => ({ 'X-OpenClaw-Session': sessionId });
/** Companion traffic without a platform session. */
export const NO_SESSION_HEADERS: Readonly<Record<string, string>> = { 'X-TokenPak-Backend': 'claude-code' };

/** A fresh CLI per request (the path `companion.warm.max: 0` selects): for the tests of the cold invocation contract. */
export const COLD = { warm: { max: 0 } } as const;

/** The proxy with `companion.command` pointed at the fake. */
export function startCompanionProxy(
  fake: FakeClaude,
  companion: NonNullable<TokenPakConfigInput['companion']> = {},
  more: { config?: TokenPakConfigInput; env?: NodeJS.ProcessEnv; stateDir?: string } = {},
): Promise<RunningProxy> {
  return startProxy(
    {
      ...more.config,
      // Nothing may leave loopback: a request that falls back from the companion (or runs with dispatch off) meets a closed local port.
      providers: { 'tokenpak-claude-code': { upstream: 'http://127.0.0.1:9' }, ...more.config?.providers },
      ...(more.stateDir ? { state: { dir: more.stateDir } } : {}),
      // These suites test the companion's own answers: no fallback to the caller's key unless a test asks for it
      // (the fallback has its own e2e suite). No spare process unless asked: it would be one more recorded run.
      companion: { command: fake.command, fallbackToCaller: false, ...companion, warm: { spare: 0, ...companion.warm } },
    },
    more.env,
  );
}

/** The real SDK (1.x) pointed at the proxy, with no retries (so errors surface as they are). */
export function sdk(proxy: RunningProxy, headers: Record<string, string>): Anthropic {
  return new Anthropic({ apiKey: CALLER_KEY, baseURL: proxy.url, maxRetries: 0, defaultHeaders: headers });
}

/** A current model name (the SDK warns about deprecated ones). */
export const MODEL = 'claude-sonnet-5-5';

/** POST /v1/messages with exactly this body (string bodies are sent as they are). */
export function postMessages(
  proxy: RunningProxy,
  body: unknown,
  headers: Record<string, string> = NO_SESSION_HEADERS,
  path = '/v1/messages',
): Promise<RawResponse> {
  return rawRequest(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CALLER_KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The parsed JSON body of a raw response. */
export function jsonOf<T = Record<string, unknown>>(response: RawResponse): T {
  return JSON.parse(response.body.toString('utf8')) as T;
}

/** The `companion` section of `/tokenpak/status`. */
export async function companionStatus(proxy: RunningProxy): Promise<Record<string, number>> {
  const status = (await (await fetch(`${proxy.url}/tokenpak/status`)).json()) as { companion: Record<string, number> };
  return status.companion;
}

/** Polls `/tokenpak/status` until its companion section satisfies `predicate` (or 5 s pass); returns the last one seen. */
export async function statusWhen(proxy: RunningProxy, predicate: (status: Record<string, number>) => boolean): Promise<Record<string, number>> {
  const deadline = Date.now() + 5000;
  let status = await companionStatus(proxy);
  while (!predicate(status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    status = await companionStatus(proxy);
  }
  return status;
}
