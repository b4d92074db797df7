import { messagesBody, openclawMessagesBody, OPENCLAW_SESSION_ID } from './request-bodies';

/** The two proxies every comparison scenario is run against. */
export type ProxyName = 'raw' | 'tokenpak';
export const PROXIES: readonly ProxyName[] = ['raw', 'tokenpak'];

export const COMPARISON_CONCURRENCIES: readonly number[] = [1, 32];

/** What a correct answer looks like, checked once per target before any load (preflight). */
export type ExpectedAnswer = 'json-message' | 'sse-stream';

export interface RequestShape {
  method: 'POST';
  path: string;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  expect: ExpectedAnswer;
}

export interface ComparisonScenario extends RequestShape {
  id: 'messages-2kb' | 'messages-200kb' | 'stream-2kb';
  label: string;
}

/** An Anthropic SDK-style call with an API key: no platform signal wants its body. */
export const ANTHROPIC_SDK_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'sk-ant-api03-bench',
};

/** What OpenClaw's undici transport always sends; the OpenClaw plugin inspects bodies only when it sees these. */
export const OPENCLAW_TRANSPORT_HEADERS: Readonly<Record<string, string>> = {
  'sec-fetch-mode': 'cors',
  'accept-language': '*',
  'user-agent': 'undici',
};

const KB = 1024;

export const COMPARISON_SCENARIOS: readonly ComparisonScenario[] = [
  {
    id: 'messages-2kb',
    label: 'Messages 2 KB',
    method: 'POST',
    path: '/v1/messages',
    headers: ANTHROPIC_SDK_HEADERS,
    body: messagesBody({ targetBytes: 2 * KB, stream: false }),
    expect: 'json-message',
  },
  {
    id: 'messages-200kb',
    label: 'Messages 200 KB',
    method: 'POST',
    path: '/v1/messages',
    headers: ANTHROPIC_SDK_HEADERS,
    body: messagesBody({ targetBytes: 200 * KB, stream: false }),
    expect: 'json-message',
  },
  {
    id: 'stream-2kb',
    label: 'Streaming (SSE, 2 KB body)',
    method: 'POST',
    path: '/v1/messages',
    headers: ANTHROPIC_SDK_HEADERS,
    body: messagesBody({ targetBytes: 2 * KB, stream: true }),
    expect: 'sse-stream',
  },
];

/** Body detection is a latency question (one request at a time), asked of TokenPak only. */
export const DETECTION_CONCURRENCY = 1;

export interface DetectionVariant extends RequestShape {
  id: 'not-inspected' | 'inspected';
  label: string;
  /** What TokenPak's `x-tokenpak-route` must say, proving the variant took the intended path. */
  expectedRoute: { platform: string; session: string };
}

const openclawBody = openclawMessagesBody(200 * KB);

export const DETECTION_VARIANTS: readonly DetectionVariant[] = [
  {
    id: 'not-inspected',
    label: 'OpenClaw body 200 KB, SDK headers (not inspected)',
    method: 'POST',
    path: '/v1/messages',
    headers: ANTHROPIC_SDK_HEADERS,
    body: openclawBody,
    expect: 'json-message',
    expectedRoute: { platform: 'none', session: 'none' },
  },
  {
    id: 'inspected',
    label: 'OpenClaw body 200 KB, OpenClaw transport headers (inspected)',
    method: 'POST',
    path: '/v1/messages',
    headers: { ...ANTHROPIC_SDK_HEADERS, ...OPENCLAW_TRANSPORT_HEADERS },
    body: openclawBody,
    expect: 'json-message',
    expectedRoute: { platform: 'openclaw', session: OPENCLAW_SESSION_ID },
  },
];
