import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '@tokenpak/core';
import { companionChildEnvironment } from '../../packages/core/src/backends/companion/cli/child-environment';
import { buildCliInvocation } from '../../packages/core/src/backends/companion/cli/cli-arguments';
import { parseCliLine, parseJsonOutput } from '../../packages/core/src/backends/companion/cli/cli-records';
import { prefixHashes, systemHash } from '../../packages/core/src/backends/companion/session/conversation-fingerprint';
import { estimateInputTokens } from '../../packages/core/src/backends/companion/messages/count-tokens';
import { imageDimensions } from '../../packages/core/src/backends/companion/messages/image-dimensions';
import { LineSplitter } from '../../packages/core/src/backends/companion/cli/line-splitter';
import { parseMessagesRequest, type CompanionRequest, type ConversationMessage } from '../../packages/core/src/backends/companion/messages/messages-request';
import { renderWholeConversation } from '../../packages/core/src/backends/companion/messages/render-conversation';
import { messageFromResult } from '../../packages/core/src/backends/companion/messages/result-to-message';
import { QueueFullError, RunScheduler, WaitAbortedError } from '../../packages/core/src/backends/companion/session/run-scheduler';
import { entryAfterAnswer, planSession } from '../../packages/core/src/backends/companion/session/session-plan';
import { StreamJsonToSse } from '../../packages/core/src/backends/companion/messages/stream-json-to-sse';
import { CAPTURES_DIR } from '../support/captures';

const capture = (name: string): string => readFileSync(path.join(CAPTURES_DIR, 'claude-code', name), 'utf8');

function request(body: unknown): CompanionRequest {
  const parsed = parseMessagesRequest(body);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.request;
}

describe('stream-json → SSE', () => {
  test('the captured partial-messages run becomes exactly the upstream events it carried, closed with the result usage', () => {
    const sent: Array<[string, unknown]> = [];
    const translator = new StreamJsonToSse({ send: (name, data) => void sent.push([name, data]) }, null);
    const records = capture('03-print-stream-json-partial.stdout').split('\n').map(parseCliLine);
    for (const record of records) if (record) translator.push(record);
    translator.finish(translator.result!);
    const upstream = records.flatMap((record) => (record?.type === 'stream_event' ? [record.event] : []));
    const withoutDelta = (events: unknown[]) => events.filter((event) => (event as { type: string }).type !== 'message_delta');
    expect(withoutDelta(sent.map(([, data]) => data))).toEqual(withoutDelta(upstream));
    expect(sent.map(([name]) => name)).toEqual(upstream.map((event) => event.type));
    expect(sent.find(([name]) => name === 'message_delta')![1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: 12,
        output_tokens: 5,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
        service_tier: 'standard',
      },
    });
    expect(translator.sessionId).toBe('857ac737-7d4f-4306-a9d8-33f483d61d5b');
    expect(translator.answer()).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hello from mock' }] });
  });

  test('without stream events (plain stream-json), the message is synthesised from the result', () => {
    const sent: string[] = [];
    const translator = new StreamJsonToSse({ send: (name) => void sent.push(name) }, 'claude-x');
    for (const line of capture('02-print-stream-json.stdout').split('\n')) {
      const record = parseCliLine(line);
      if (record) translator.push(record);
    }
    translator.finish(translator.result!);
    expect(sent).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });
});

describe('CLI output parsing', () => {
  test('json output: pretty (as captured), one line, a transcript array, or NDJSON ending in the result', () => {
    const pretty = capture('01-print-json.stdout');
    const compact = JSON.stringify(JSON.parse(pretty));
    expect(parseJsonOutput(pretty)?.result).toBe('Hello from mock');
    expect(parseJsonOutput(compact)?.session_id).toBe('8574fc30-1981-44d4-bea8-b9027a48fcb5');
    expect(parseJsonOutput(`[{"type":"system","subtype":"init"},${compact}]`)?.result).toBe('Hello from mock');
    expect(parseJsonOutput(capture('02-print-stream-json.stdout'))?.result).toBe('Hello from mock');
    expect(parseJsonOutput('not json at all')).toBeNull();
  });

  test('the result becomes a Messages API answer with real usage and the API model id', () => {
    const message = messageFromResult(parseJsonOutput(capture('01-print-json.stdout'))!, null);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-8',
      content: [{ type: 'text', text: 'Hello from mock' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(messageFromResult(parseJsonOutput(capture('09-model-full.stdout'))!, 'claude-sonnet-4-5').model).toBe('claude-sonnet-4-5');
  });

  test('lines split on bytes: a character cut across chunks survives', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 1024);
    const bytes = Buffer.from('{"t":"héllo ✓"}\n{"t":"two"}\npartial', 'utf8');
    for (let i = 0; i < bytes.length; i += 3) splitter.push(bytes.subarray(i, i + 3));
    splitter.end();
    expect(lines).toEqual(['{"t":"héllo ✓"}', '{"t":"two"}', 'partial']);
    expect(() => new LineSplitter(() => undefined, 4).push(Buffer.from('toolong'))).toThrow(/exceeded 4 bytes/);
  });
});

describe('argv', () => {
  test('flags per request kind; nothing but the model from the body', () => {
    const fresh = { mode: 'fresh' as const, resumeId: null };
    expect(buildCliInvocation({ stream: false, streamJsonInput: false, model: 'm', session: fresh, tools: '' }).args).toEqual([
      '--print',
      '--output-format',
      'json',
      '--model',
      'm',
      '--tools',
      '',
    ]);
    expect(
      buildCliInvocation({ stream: true, streamJsonInput: false, model: null, session: { mode: 'continue', resumeId: null }, tools: 'Read,Grep' }).args,
    ).toEqual(['--print', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--continue', '--tools', 'Read,Grep']);
    expect(
      buildCliInvocation({ stream: false, streamJsonInput: true, model: null, session: { mode: 'resume', resumeId: 'abc' }, tools: 'default' }).args,
    ).toEqual(['--print', '--output-format', 'stream-json', '--verbose', '--input-format', 'stream-json', '--resume', 'abc', '--tools', 'default']);
  });
});

describe('rendering', () => {
  test('whitespace never becomes a text block of its own (two images in a row)', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
    const prompt = renderWholeConversation(
      null,
      request({ messages: [{ role: 'user', content: [image, image, { type: 'text', text: 'compare' }] }] }).messages,
    );
    expect(prompt.parts.map((part) => part.type)).toEqual(['image', 'image', 'text']);
    expect(prompt.parts[2]).toEqual({ type: 'text', text: '\n\ncompare' });
  });

  test("earlier turns' thinking is left out, as the API itself does", () => {
    const prompt = renderWholeConversation(
      null,
      request({
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'SECRET-REASONING', signature: 's' },
              { type: 'text', text: 'a' },
            ],
          },
          { role: 'user', content: 'q2' },
        ],
      }).messages,
    );
    const text = prompt.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
    expect(text).not.toContain('SECRET-REASONING');
    expect(text).toContain('<turn role="assistant">\na\n</turn>');
  });
});

describe('fingerprints and session plans', () => {
  const turns = (body: unknown[]): ConversationMessage[] => request({ messages: body }).messages;

  test('what a client may reshape when echoing does not change the hash; content does', () => {
    const [a] = prefixHashes(turns([{ role: 'user', content: 'hello' }])).slice(1);
    const [b] = prefixHashes(turns([{ role: 'user', content: [{ type: 'text', text: ' hello\n', cache_control: { type: 'ephemeral' } }] }])).slice(1);
    const [c] = prefixHashes(turns([{ role: 'user', content: 'hello!' }])).slice(1);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  test('resume only when the request extends what was delivered, answer included', () => {
    const first = request({ system: 'S', messages: [{ role: 'user', content: 'one' }] });
    const entry = entryAfterAnswer(first, prefixHashes(first.messages), 'cli-1', { role: 'assistant', content: [{ type: 'text', text: 'ans' }] });
    const plan = (messages: unknown[], system = 'S') => {
      const next = request({ system, messages });
      return planSession(next, { platformSession: true, continueEnabled: true, entry, hashes: prefixHashes(next.messages) });
    };
    const extended = plan([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'ans' },
      { role: 'user', content: 'two' },
    ]);
    expect(extended).toMatchObject({ mode: 'resume', resumeId: 'cli-1', prompt: { parts: [{ type: 'text', text: 'two' }] } });
    expect(
      plan([
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'other' },
        { role: 'user', content: 'two' },
      ]).mode,
    ).toBe('fresh');
    expect(plan([{ role: 'user', content: 'one' }]).mode).toBe('fresh');
    expect(systemHash('S')).not.toBe(systemHash(null));
  });
});

describe('run scheduler', () => {
  const scheduler = (maxConcurrent: number, maxQueue: number) =>
    new RunScheduler({ config: { companion: { maxConcurrent, maxQueue } } } as unknown as ResolvedConfig);

  test('a waiter held back by its session does not block others; the session runs in order', async () => {
    const runs = scheduler(2, 10);
    const signal = new AbortController().signal;
    const a1 = await runs.acquire('a', signal);
    const order: string[] = [];
    const a2 = runs.acquire('a', signal).then((slot) => (order.push('a2'), slot));
    const b1 = runs.acquire('b', signal).then((slot) => (order.push('b1'), slot));
    await b1;
    expect(order).toEqual(['b1']);
    expect(runs.queued).toBe(1);
    a1.release();
    (await a2).release();
    expect(order).toEqual(['b1', 'a2']);
    (await b1).release();
    expect(runs.running).toBe(0);
  });

  test('overflow is refused with a retry-after; an aborted waiter leaves the queue', async () => {
    const runs = scheduler(1, 1);
    const held = await runs.acquire(null, new AbortController().signal);
    const controller = new AbortController();
    const waiting = runs.acquire(null, controller.signal);
    await expect(runs.acquire(null, new AbortController().signal)).rejects.toBeInstanceOf(QueueFullError);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(WaitAbortedError);
    expect(runs.queued).toBe(0);
    held.release();
    const error = await scheduler(1, 0)
      .acquire('x', AbortSignal.abort())
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(WaitAbortedError);
  });

  test('retry-after never exceeds 60 s, however long the queue (Claude Code gives up at once above 60)', async () => {
    const runs = scheduler(1, 20);
    const slots = [runs.acquire(null, new AbortController().signal)];
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const waiters = controllers.map((controller) => runs.acquire(null, controller.signal).catch(() => undefined));
    // 20 waiting ahead, one run at a time, 10 s each (the initial estimate): ~210 s honestly, 60 said.
    const error = (await runs.acquire(null, new AbortController().signal).catch((reason: unknown) => reason)) as QueueFullError;
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error.retryAfterSeconds).toBe(60);
    for (const controller of controllers) controller.abort();
    await Promise.all(waiters);
    (await slots[0]!).release();
  });
});

describe('child environment', () => {
  test('drops loops and login overrides (any case), keeps the rest', () => {
    const env = companionChildEnvironment(
      {
        PATH: '/bin',
        anthropic_base_url: 'http://x',
        TOKENPAK_HOME: '/tmp',
        ALL_PROXY: 'socks5://user:pw@localhost:8766',
        NO_PROXY: 'localhost',
        HTTPS_PROXY: 'http://[::1]:9999',
        OTHER_URL: 'see http://127.0.0.1:8766/v1 for details',
        CLAUDE_CODE_OAUTH_TOKEN: 'the users own login',
      },
      { tokenpakPorts: [8766] },
    );
    expect(env).toEqual({ PATH: '/bin', NO_PROXY: 'localhost', HTTPS_PROXY: 'http://[::1]:9999', CLAUDE_CODE_OAUTH_TOKEN: 'the users own login' });
  });
});

describe('count_tokens estimate', () => {
  test('text, tools and images add up; image size is read from the header', () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAyAAAAJYCAIAAAA', 'base64');
    expect(imageDimensions(png)).toEqual({ width: 800, height: 600 });
    const text = estimateInputTokens({ messages: [{ role: 'user', content: 'a'.repeat(370) }] });
    expect(text).toBeGreaterThanOrEqual(100);
    expect(text).toBeLessThan(110);
    const withTools = estimateInputTokens({ messages: [{ role: 'user', content: 'a'.repeat(370) }], tools: [{ name: 't', input_schema: {} }] });
    expect(withTools).toBeGreaterThan(text + 300);
    const withImage = estimateInputTokens({
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') } }] }],
    });
    expect(withImage).toBe(3 + 3 + 640);
  });
});
