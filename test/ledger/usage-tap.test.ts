import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ResponseUsageTap } from '../../packages/core/src/usage/response-usage-tap';
import { RequestModelTap } from '../../packages/core/src/usage/request-model-tap';
import { fromAnyUsage, type TokenUsage } from '../../packages/core/src/usage/token-usage';
import type { ResponseObservation } from '../../packages/core/src/usage/response-observation';
import { CANNED, anthropicSse, openaiChatSse, responsesObject, responsesSse } from '../support/canned-responses';

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0, cacheWrite1hTokens = 0): TokenUsage => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
  cacheWrite1hTokens,
});

/** Runs a body through a tap in the given chunks and returns what it observed. */
async function observe(contentType: string, chunks: readonly Buffer[], contentEncoding?: string): Promise<ResponseObservation> {
  const tap = ResponseUsageTap.for(contentType, contentEncoding);
  if (!tap) throw new Error('no tap for this response');
  for (const chunk of chunks) tap.push(chunk);
  tap.end();
  await new Promise<void>((resolve) => tap.whenSettled(resolve));
  return tap.observation();
}

const whole = (body: string): Buffer[] => [Buffer.from(body)];
const bytewise = (body: string): Buffer[] => [...Buffer.from(body)].map((byte) => Buffer.from([byte]));
const sse = (events: ReadonlyArray<[string | null, unknown]>, newline = '\n'): string =>
  events
    .map(([name, data]) => `${name ? `event: ${name}${newline}` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}${newline}${newline}`)
    .join('');

const ANTHROPIC_CACHED_SSE = sse([
  [
    'message_start',
    {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        usage: {
          input_tokens: 120,
          cache_read_input_tokens: 5000,
          cache_creation_input_tokens: 300,
          cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
          output_tokens: 1,
        },
      },
    },
  ],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['ping', { type: 'ping' }],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a "quoted" \\ back\\slash and "usage":{"input_tokens":999} in text' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 57 } }],
  ['message_stop', { type: 'message_stop' }],
]);
const ANTHROPIC_CACHED_USAGE = usage(120, 57, 5000, 300, 100);

describe('response usage tap', () => {
  const cases: ReadonlyArray<{ name: string; contentType: string; body: string; expected: ResponseObservation }> = [
    {
      name: 'Anthropic JSON',
      contentType: 'application/json',
      body: JSON.stringify(CANNED.anthropicMessage),
      expected: { model: 'claude-mock-1', usage: usage(11, 7), errorType: null },
    },
    {
      name: 'Anthropic JSON with cache tokens (pretty-printed, tool input holding its own "usage")',
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(
        {
          id: 'msg_2',
          type: 'message',
          model: 'claude-opus-4-8',
          content: [{ type: 'tool_use', id: 't', name: 'x', input: { usage: { input_tokens: 1 }, model: 'nope' } }],
          usage: { input_tokens: 3, cache_read_input_tokens: 40, cache_creation_input_tokens: 10, output_tokens: 9 },
        },
        null,
        2,
      ),
      expected: { model: 'claude-opus-4-8', usage: usage(3, 9, 40, 10), errorType: null },
    },
    {
      name: 'Anthropic SSE: usage split across message_start and message_delta, cache read and write',
      contentType: 'text/event-stream; charset=utf-8',
      body: ANTHROPIC_CACHED_SSE,
      expected: { model: 'claude-sonnet-4-5-20250929', usage: ANTHROPIC_CACHED_USAGE, errorType: null },
    },
    {
      name: 'Anthropic SSE with CRLF line endings',
      contentType: 'text/event-stream',
      body: ANTHROPIC_CACHED_SSE.replace(/\n/g, '\r\n'),
      expected: { model: 'claude-sonnet-4-5-20250929', usage: ANTHROPIC_CACHED_USAGE, errorType: null },
    },
    {
      name: 'Anthropic SSE from the test mock',
      contentType: 'text/event-stream',
      body: anthropicSse().join(''),
      expected: { model: 'claude-mock-1', usage: usage(11, 4), errorType: null },
    },
    {
      name: 'Anthropic SSE error event mid-stream',
      contentType: 'text/event-stream',
      body: sse([
        ['message_start', { type: 'message_start', message: { model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 1 } } }],
        ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }],
      ]),
      expected: { model: 'claude-haiku-4-5', usage: usage(10, 1), errorType: 'overloaded_error' },
    },
    {
      name: 'Anthropic error body',
      contentType: 'application/json',
      body: JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }),
      expected: { model: null, usage: null, errorType: 'rate_limit_error' },
    },
    {
      name: 'OpenAI error body',
      contentType: 'application/json',
      body: JSON.stringify({ error: { message: 'bad key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }),
      expected: { model: null, usage: null, errorType: 'invalid_request_error' },
    },
    {
      name: 'OpenAI chat JSON with cached prompt tokens',
      contentType: 'application/json',
      body: JSON.stringify({
        ...CANNED.openaiChat,
        model: 'gpt-4o-2024-08-06',
        usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110, prompt_tokens_details: { cached_tokens: 40 } },
      }),
      expected: { model: 'gpt-4o-2024-08-06', usage: usage(60, 10, 40), errorType: null },
    },
    {
      name: 'OpenAI chat SSE with the include_usage chunk',
      contentType: 'text/event-stream',
      body:
        openaiChatSse().slice(0, -1).join('') +
        sse([
          [
            null,
            {
              id: 'c',
              object: 'chat.completion.chunk',
              model: 'gpt-mock-1',
              choices: [],
              usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } },
            },
          ],
        ]) +
        'data: [DONE]\n\n',
      expected: { model: 'gpt-mock-1', usage: usage(9, 6), errorType: null },
    },
    {
      name: 'OpenAI chat SSE without usage: model known, usage unknown',
      contentType: 'text/event-stream',
      body: openaiChatSse().join(''),
      expected: { model: 'gpt-mock-1', usage: null, errorType: null },
    },
    {
      name: 'Responses JSON with cached and reasoning tokens',
      contentType: 'application/json',
      body: JSON.stringify({
        ...responsesObject(),
        error: null,
        usage: {
          input_tokens: 50,
          input_tokens_details: { cached_tokens: 20 },
          output_tokens: 30,
          output_tokens_details: { reasoning_tokens: 10 },
          total_tokens: 80,
        },
      }),
      expected: { model: 'gpt-mock-1', usage: usage(30, 30, 20), errorType: null },
    },
    {
      name: 'Responses SSE (response.completed)',
      contentType: 'text/event-stream',
      body: responsesSse().join(''),
      expected: { model: 'gpt-mock-1', usage: usage(5, 7), errorType: null },
    },
    {
      name: 'Responses SSE failure',
      contentType: 'text/event-stream',
      body: sse([
        [
          'response.failed',
          { type: 'response.failed', response: { model: 'gpt-5-codex', status: 'failed', error: { code: 'server_error', message: 'x' }, usage: null } },
        ],
      ]),
      expected: { model: 'gpt-5-codex', usage: null, errorType: 'server_error' },
    },
    { name: 'garbage bytes', contentType: 'application/json', body: '\u0000\u00ff}{]]"', expected: { model: null, usage: null, errorType: null } },
    {
      name: 'truncated JSON',
      contentType: 'application/json',
      body: JSON.stringify(CANNED.anthropicMessage).slice(0, 100),
      expected: { model: 'claude-mock-1', usage: null, errorType: null },
    },
    { name: 'a JSON array', contentType: 'application/json', body: '[{"usage":{"input_tokens":1}}]', expected: { model: null, usage: null, errorType: null } },
    {
      name: 'an HTML page labelled JSON',
      contentType: 'application/json',
      body: '<html><body>502 Bad Gateway</body></html>',
      expected: { model: null, usage: null, errorType: null },
    },
    {
      name: 'SSE of garbage',
      contentType: 'text/event-stream',
      body: 'event: message_start\ndata: {not json\n\n:comment\nretry: x\n\ndata: [DONE]\n\n',
      expected: { model: null, usage: null, errorType: null },
    },
    {
      name: 'usage with invalid numbers',
      contentType: 'application/json',
      body: '{"model":"m","usage":{"input_tokens":"ten","output_tokens":-3}}',
      expected: { model: 'm', usage: null, errorType: null },
    },
  ];

  test.each(cases)('$name', async ({ contentType, body, expected }) => {
    expect(await observe(contentType, whole(body))).toEqual(expected);
    expect(await observe(contentType, bytewise(body))).toEqual(expected);
  });

  test('an SSE stream split in two at every byte offset gives the same answer', async () => {
    const body = Buffer.from(ANTHROPIC_CACHED_SSE);
    for (let offset = 0; offset <= body.length; offset++) {
      const observed = await observe('text/event-stream', [body.subarray(0, offset), body.subarray(offset)]);
      expect({ offset, observed }).toEqual({ offset, observed: { model: 'claude-sonnet-4-5-20250929', usage: ANTHROPIC_CACHED_USAGE, errorType: null } });
    }
  });

  test('a Responses stream and a JSON body split at every byte offset', async () => {
    for (const [contentType, text, expectedUsage] of [
      ['text/event-stream', responsesSse().join(''), usage(5, 7)],
      ['application/json', JSON.stringify({ a: 'x\\"y\\\\', ...CANNED.anthropicMessage }), usage(11, 7)],
    ] as const) {
      const body = Buffer.from(text);
      for (let offset = 0; offset <= body.length; offset++) {
        const observed = await observe(contentType, [body.subarray(0, offset), body.subarray(offset)]);
        expect({ offset, usage: observed.usage }).toEqual({ offset, usage: expectedUsage });
      }
    }
  });

  test('gzip- and br-compressed answers are read from a decoded copy', async () => {
    const body = Buffer.from(JSON.stringify(CANNED.anthropicMessage));
    const gzipped = gzipSync(body);
    const halves = [gzipped.subarray(0, 10), gzipped.subarray(10)];
    expect((await observe('application/json', halves, 'gzip')).usage).toEqual(usage(11, 7));
    expect((await observe('application/json', [brotliCompressSync(body)], 'br')).usage).toEqual(usage(11, 7));
  });

  test('a corrupt compressed body is recorded with unknown usage, not an error', async () => {
    expect(await observe('application/json', whole('definitely not gzip'), 'gzip')).toEqual({ model: null, usage: null, errorType: null });
  });

  test('types and encodings it cannot read get no tap', () => {
    expect(ResponseUsageTap.for('application/octet-stream', undefined)).toBeNull();
    expect(ResponseUsageTap.for(undefined, undefined)).toBeNull();
    expect(ResponseUsageTap.for('application/json', 'zstd')).toBeNull();
  });

  test('a small JSON body that never ends (client or upstream gone) still reports what arrived', async () => {
    const tap = ResponseUsageTap.for('application/json', undefined)!;
    const body = JSON.stringify(CANNED.anthropicMessage);
    tap.push(Buffer.from(body.slice(0, body.indexOf('"usage"'))));
    await new Promise<void>((resolve) => tap.whenSettled(resolve));
    expect(tap.observation()).toEqual({ model: CANNED.anthropicMessage.model, usage: null, errorType: null });
  });

  test('a large body: text is skipped, the usage at its end is found', async () => {
    const text = 'x'.repeat(1024) + '\\"'.repeat(100);
    const body = JSON.stringify({
      id: 'm',
      model: 'claude-opus-4-8',
      content: Array.from({ length: 4000 }, () => ({ type: 'text', text })),
      usage: { input_tokens: 5, output_tokens: 6 },
    });
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(body);
    for (let i = 0; i < bytes.length; i += 16_384) chunks.push(bytes.subarray(i, i + 16_384));
    expect((await observe('application/json', chunks)).usage).toEqual(usage(5, 6));
  });
});

describe('request model tap', () => {
  test.each([
    ['model first', '{"model":"claude-opus-4-8","messages":[]}', 'claude-opus-4-8'],
    [
      'model after the messages (OpenClaw key order puts system later; messages first)',
      '{"messages":[{"role":"user","content":"say \\"model\\": x"}],"model":"gpt-5"}',
      'gpt-5',
    ],
    ['no model', '{"messages":[]}', null],
    ['not JSON', 'hello', null],
  ])('%s', (_name, body, expected) => {
    for (const chunks of [whole(body), bytewise(body)]) {
      const tap = new RequestModelTap();
      for (const chunk of chunks) tap.push(chunk);
      expect(tap.model()).toBe(expected);
    }
  });

  test('stops reading once it has the model', () => {
    const tap = new RequestModelTap();
    tap.push(Buffer.from('{"model":"m","messages":['));
    expect(tap.done).toBe(true);
  });
});

describe('usage normalisation', () => {
  test("the claude CLI's result record usage (companion) reads as Anthropic usage", () => {
    const result = {
      input_tokens: 12,
      cache_creation_input_tokens: 4,
      cache_read_input_tokens: 100,
      output_tokens: 5,
      cache_creation: { ephemeral_1h_input_tokens: 4, ephemeral_5m_input_tokens: 0 },
      service_tier: 'standard',
    };
    expect(fromAnyUsage(result)).toEqual(usage(12, 5, 100, 4, 4));
  });
});
