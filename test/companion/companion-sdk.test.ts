import LegacyAnthropic from 'anthropic-sdk-legacy';
import { parseRouteHeader } from '@tokenpak/core';
import type { RunningProxy } from '../support/proxy-harness';
import { CALLER_KEY, MODEL, NO_SESSION_HEADERS, sdk, sessionHeaders, startCompanionProxy, statusWhen } from './support/companion-harness';
import { createFakeClaude, type FakeClaude } from './support/fake-claude';
import { waitFor } from './support/process-table';

/** The real SDKs, plain and streaming, through the running proxy to the fake CLI. */
describe('companion answers through @anthropic-ai/sdk', () => {
  let fake: FakeClaude;
  let proxy: RunningProxy;
  const usage = { input_tokens: 321, output_tokens: 54, cache_creation_input_tokens: 3, cache_read_input_tokens: 7 };

  beforeAll(async () => {
    fake = createFakeClaude();
    proxy = await startCompanionProxy(fake);
  });
  afterAll(async () => {
    await proxy.stop();
    fake.cleanup();
  });
  beforeEach(async () => {
    await fake.clearRuns();
    fake.setControl({ text: 'Companion says hello.', usage });
  });

  test('messages.create: text, model and usage are what the CLI reported; the route says via=companion', async () => {
    const client = sdk(proxy, sessionHeaders('sdk-plain'));
    const { data: message, response } = await client.messages
      .create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'say hello' }] })
      .withResponse();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: 'Companion says hello.' }],
      stop_reason: 'end_turn',
      usage,
    });
    expect(message.id).toMatch(/^msg_/);
    expect(parseRouteHeader(response.headers.get('x-tokenpak-route')!)).toMatchObject({ provider: 'tokenpak-claude-code', backend: 'oauth', via: 'companion' });
    expect(response.headers.get('x-tokenpak-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-tokenpak-companion-ignored')).toBe('max_tokens');
    expect(fake.runs()).toHaveLength(1);
  });

  test('the 0.x SDK (x-api-key, as inside Claude Code) parses the same answer', async () => {
    const client = new LegacyAnthropic({ apiKey: CALLER_KEY, baseURL: proxy.url, maxRetries: 0, defaultHeaders: NO_SESSION_HEADERS });
    const message = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'say hello' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Companion says hello.' }]);
    expect(message.usage).toMatchObject(usage);
  });

  test('messages.stream: text arrives while the CLI is still running, final message and usage match', async () => {
    fake.setControl({ text: 'Streaming from the companion.', chunks: ['Streaming', ' from the', ' companion.'], usage, streamDelayMs: 60, holdAfterMs: 700 });
    const client = sdk(proxy, sessionHeaders('sdk-stream'));
    const stream = client.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'stream please' }] });
    let firstTextAt = 0;
    const pieces: string[] = [];
    stream.on('text', (delta) => {
      firstTextAt ||= Date.now();
      pieces.push(delta);
    });
    const final = await stream.finalMessage();
    const finalAt = Date.now();
    expect(pieces).toEqual(['Streaming', ' from the', ' companion.']);
    expect(final).toMatchObject({ model: MODEL, content: [{ type: 'text', text: 'Streaming from the companion.' }], stop_reason: 'end_turn', usage });
    await waitFor(() => fake.runs()[0]?.lines[0]?.answeredAt != null, 5000, 'the fake to finish its turn');
    const [run] = fake.runs();
    expect(firstTextAt).toBeGreaterThan(0);
    // Text reached the client while the CLI was still writing its answer (deltas 60 ms apart).
    expect(firstTextAt).toBeLessThan(run!.lines[0]!.answeredAt!);
    // The answer is complete at the CLI's result record: the (warm) CLI itself is still up.
    expect(run!.end).toBeNull();
    expect(finalAt).toBeGreaterThan(0);
  });

  test('messages.create({stream: true}): the standard event sequence', async () => {
    const client = sdk(proxy, NO_SESSION_HEADERS);
    const stream = await client.messages.create({ model: MODEL, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'events' }] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  test("the CLI's own tool loop stays inside: one message, its text, no tool_use for the caller", async () => {
    fake.setControl({ text: 'There is one file.', usage, toolLoop: true });
    const client = sdk(proxy, sessionHeaders('sdk-tool-loop'));
    const final = await client.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'what files?' }] }).finalMessage();
    expect(final.content).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'text', text: 'There is one file.' },
    ]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject(usage);
  });

  test('count_tokens is a local estimate: no CLI run', async () => {
    const client = sdk(proxy, sessionHeaders('sdk-count'));
    const counted = await client.messages.countTokens({
      model: MODEL,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(5);
    expect(counted.input_tokens).toBeLessThan(60);
    expect(fake.runs()).toHaveLength(0);
  });

  test('/tokenpak/status shows the companion: counters and the CLI version', async () => {
    // A streamed answer is complete at message_stop; its CLI process may still be exiting.
    const companion = await statusWhen(proxy, (status) => status.inFlight === 0);
    expect(companion).toMatchObject({ dispatch: true, inFlight: 0, queued: 0, failed: 0, cli: { state: 'found', version: '2.1.197 (Claude Code)' } });
    expect(companion.completed).toBeGreaterThanOrEqual(5);
  });
});
