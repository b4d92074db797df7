/**
 * The caller's tools through the companion, end to end: the real Anthropic SDK against the
 * proxy, the fake `claude` in MCP client mode (fake-claude-mcp.ts) as the CLI.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { RunningProxy } from '../support/proxy-harness';
import { companionStatus, jsonOf, MODEL, postMessages, sdk, sessionHeaders, startCompanionProxy } from './support/companion-harness';
import { createFakeClaude, type FakeClaude, type FakeMcpStep } from './support/fake-claude';
import { isProcessAlive, waitFor } from './support/process-table';
import { waitForLedgerRows } from '../support/ledger-helpers';

jest.setTimeout(60_000);

const TOOLS: Anthropic.Tool[] = [
  {
    name: 'get_weather',
    description: 'Get the weather for a city.',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  { name: 'get_time', description: 'Get the time.', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } },
];

let fake: FakeClaude;
let proxy: RunningProxy | null = null;

beforeEach(() => {
  fake = createFakeClaude();
});
afterEach(async () => {
  await proxy?.stop();
  proxy = null;
  fake.cleanup();
});

async function start(turns: FakeMcpStep[][], companion: Record<string, unknown> = {}): Promise<Anthropic> {
  fake.setControl({ mcp: { turns } });
  proxy = await startCompanionProxy(fake, companion);
  return sdk(proxy, sessionHeaders(`tools-${Math.random().toString(36).slice(2)}`));
}

type Params = Anthropic.MessageCreateParamsNonStreaming;
const ask = (text: string): Params => ({ model: MODEL, max_tokens: 1024, tools: TOOLS, messages: [{ role: 'user', content: text }] });
const withResults = (params: Params, assistant: Anthropic.Message, results: Anthropic.ToolResultBlockParam[]): Params => ({
  ...params,
  messages: [...params.messages, { role: 'assistant', content: assistant.content }, { role: 'user', content: results }],
});
const finalResults = (message: Anthropic.Message): Array<{ toolUseId: string; name: string; result: any }> =>
  JSON.parse((message.content[0] as Anthropic.TextBlock).text.replace(/^results:/, ''));
const toolUses = (message: Anthropic.Message): Anthropic.ToolUseBlock[] =>
  message.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');

describe('caller tools through the companion (SDK)', () => {
  it.each([false, true])('runs a three-step agent loop (tool, tool, text) on one warm process (stream=%s)', async (stream) => {
    const client = await start([
      [{ say: 'Checking.', tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { tools: [{ name: 'get_time', input: { tz: 'UTC' } }] }, {}],
      [{ text: 'the next question, answered warm' }],
    ]);
    const send = (params: Params): Promise<Anthropic.Message> => (stream ? client.messages.stream(params).finalMessage() : client.messages.create(params));

    const step1 = ask('weather and time in Paris?');
    const first = await send(step1);
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: expect.stringMatching(/^toolu_fake_/), name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(first.usage).toMatchObject({ input_tokens: 12, output_tokens: 20 });
    const status = (await companionStatus(proxy!)) as unknown as { toolSessions: Array<{ key: string; pending: Array<{ id: string; name: string }> }> };
    expect(status.toolSessions).toEqual([
      expect.objectContaining({
        key: expect.not.stringContaining('tools-'),
        pending: [expect.objectContaining({ id: toolUses(first)[0]!.id, name: 'get_weather' })],
      }),
    ]);

    const step2 = withResults(step1, first, [{ type: 'tool_result', tool_use_id: toolUses(first)[0]!.id, content: 'Paris: 21C' }]);
    const second = await send(step2);
    expect(second.stop_reason).toBe('tool_use');
    expect(toolUses(second)).toEqual([{ type: 'tool_use', id: expect.any(String), name: 'get_time', input: { tz: 'UTC' } }]);

    const step3 = withResults(step2, second, [{ type: 'tool_result', tool_use_id: toolUses(second)[0]!.id, content: [{ type: 'text', text: '12:00' }] }]);
    const third = await send(step3);
    expect(third.stop_reason).toBe('end_turn');
    expect(finalResults(third).map((entry) => [entry.toolUseId, entry.result])).toEqual([
      [toolUses(first)[0]!.id, { content: [{ type: 'text', text: 'Paris: 21C' }] }],
      [toolUses(second)[0]!.id, { content: [{ type: 'text', text: '12:00' }] }],
    ]);
    // The turn ended in text; the conversation's next question goes to the same process, as its new user turn only.
    const fourth = await send({
      ...step3,
      messages: [...step3.messages, { role: 'assistant', content: third.content }, { role: 'user', content: 'and tomorrow?' }],
    });
    expect(fourth.content).toEqual([{ type: 'text', text: 'the next question, answered warm' }]);
    const runs = fake.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.userLines).toHaveLength(2);
    expect(JSON.stringify(runs[0]!.userLines![1])).toContain('and tomorrow?');
    expect(JSON.stringify(runs[0]!.userLines![1])).not.toContain('weather and time in Paris?');
    expect(runs[0]!.toolsList!.map((tool) => tool.name)).toEqual(['get_weather', 'get_time']);
    expect(runs[0]!.argv).toEqual(expect.arrayContaining(['--tools', '', '--strict-mcp-config']));
    expect(((await companionStatus(proxy!)) as unknown as { toolSessions: Array<{ pending: unknown[] }> }).toolSessions).toEqual([
      expect.objectContaining({ pending: [] }),
    ]);
  });

  it('collects two tool calls of one turn and answers them in the order the CLI asks', async () => {
    const client = await start([
      [
        {
          tools: [
            { name: 'get_weather', input: { city: 'Paris' } },
            { name: 'get_weather', input: { city: 'Tokyo' } },
          ],
        },
        {},
      ],
    ]);
    const step1 = ask('two cities');
    const first = await client.messages.create(step1);
    const [paris, tokyo] = toolUses(first);
    expect([paris!.input, tokyo!.input]).toEqual([{ city: 'Paris' }, { city: 'Tokyo' }]);
    const final = await client.messages.create(
      withResults(step1, first, [
        { type: 'tool_result', tool_use_id: tokyo!.id, content: 'Tokyo: 18C' },
        { type: 'tool_result', tool_use_id: paris!.id, content: 'Paris: 21C' },
      ]),
    );
    expect(finalResults(final).map((entry) => [entry.toolUseId, entry.result.content[0].text])).toEqual([
      [paris!.id, 'Paris: 21C'],
      [tokyo!.id, 'Tokyo: 18C'],
    ]);
    expect(fake.runs()).toHaveLength(1);
  });

  it('passes an is_error result with an image, and a 100 KB result, unchanged', async () => {
    const client = await start([[{ tools: [{ name: 'get_weather', input: { city: 'X' } }] }, { tools: [{ name: 'get_weather', input: { city: 'Y' } }] }, {}]]);
    const big = 'y'.repeat(100 * 1024);
    const step1 = ask('go');
    const first = await client.messages.create(step1);
    const step2 = withResults(step1, first, [
      {
        type: 'tool_result',
        tool_use_id: toolUses(first)[0]!.id,
        is_error: true,
        content: [
          { type: 'text', text: 'no such city' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
    ]);
    const second = await client.messages.create(step2);
    const final = await client.messages.create(withResults(step2, second, [{ type: 'tool_result', tool_use_id: toolUses(second)[0]!.id, content: big }]));
    const [errored, large] = finalResults(final);
    expect(errored!.result).toEqual({
      content: [
        { type: 'text', text: 'no such city' },
        { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      ],
      isError: true,
    });
    expect(large!.result.content[0].text).toBe(big);
  });

  it('serves an edited history fresh and ends the process that was waiting', async () => {
    const client = await start([[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}]]);
    await client.messages.create(ask('go'));
    const waiting = fake.runs()[0]!;
    // What a new process will answer (the control file is read at start).
    fake.setControl({ mcp: { turns: [[{ text: 'a fresh answer' }]] } });
    const fresh = await client.messages.create(ask('something else entirely'));
    expect(fresh.content).toEqual([{ type: 'text', text: 'a fresh answer' }]);
    const runs = fake.runs();
    expect(runs).toHaveLength(2);
    await waitFor(() => !isProcessAlive(waiting.pid), 10_000, 'the waiting CLI to end');
    // The fresh process got the whole (edited) conversation.
    expect(JSON.stringify(runs[1]!.userLines)).toContain('something else entirely');
  });

  it('ends the session when the caller never comes back (no orphan process)', async () => {
    const client = await start([[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}]], { toolResultTimeoutMs: 300 });
    await client.messages.create(ask('go'));
    const run = fake.runs()[0]!;
    await waitFor(() => !isProcessAlive(run.pid), 10_000, 'the abandoned CLI to end');
    expect(((await companionStatus(proxy!)) as unknown as { toolSessions: unknown[] }).toolSessions).toEqual([]);
  });

  it('says how the turn ended and what it ignored; bad tools get a 400 in the API shape', async () => {
    await start([[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}]]);
    const response = await postMessages(proxy!, { ...ask('go'), tool_choice: { type: 'any', disable_parallel_tool_use: true } }, sessionHeaders('s-headers'));
    expect(response.status).toBe(200);
    expect(response.headers['x-tokenpak-companion-turn']).toBe('tool_use; pending=1');
    expect(response.headers['x-tokenpak-companion-ignored']).toContain('max_tokens');
    expect(response.headers['x-tokenpak-companion-ignored']).toContain('tool_choice.disable_parallel_tool_use');
    expect(response.headers['x-tokenpak-companion-ignored']).not.toMatch(/(^|, )tools(,|$)/);
    // tool_choice "any" is asked for in the prompt the CLI gets.
    expect(JSON.stringify(fake.runs()[0]!.userLines)).toContain('You must answer this turn by calling one of the available tools.');

    const bad = await postMessages(proxy!, { ...ask('go'), tools: [{ name: 'x' }] }, sessionHeaders('s-bad'));
    expect(bad.status).toBe(400);
    expect(bad.headers['x-tokenpak-error']).toBe('1');
    expect(jsonOf(bad)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'tools[0].input_schema must be an object', code: 'invalid_body' },
    });
  });

  it('records each step in the ledger with the usage of its model call', async () => {
    fake.setControl({
      mcp: { turns: [[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}]], usage: { input_tokens: 321, output_tokens: 54 } },
    });
    proxy = await startCompanionProxy(fake, {}, { config: { ledger: { flushIntervalMs: 20 } } });
    const client = sdk(proxy, sessionHeaders('tools-ledger'));
    const step1 = ask('go');
    const { data: first, response: r1 } = await client.messages.create(step1).withResponse();
    const { response: r2 } = await client.messages
      .stream(withResults(step1, first, [{ type: 'tool_result', tool_use_id: toolUses(first)[0]!.id, content: 'ok' }]))
      .withResponse();
    const ids = [r1.headers.get('x-tokenpak-request-id')!, r2.headers.get('x-tokenpak-request-id')!];
    const rows = await waitForLedgerRows(proxy.url, ids);
    for (const id of ids) {
      expect(rows.get(id)).toMatchObject({ via: 'companion', status: 200, errorType: null, model: MODEL, inputTokens: 321, outputTokens: 54 });
      expect(rows.get(id)!.bytesOut!).toBeGreaterThan(100);
    }
    // The row says how each step ended: the first with the caller's tool call pending, the second with text.
    expect(rows.get(ids[0]!)!.reasons).toContain('companion: turn ended in tool_use; pending=1');
    expect(rows.get(ids[1]!)!.reasons).toContain('companion: turn ended in end_turn');
  });

  it('bounds the processes waiting between steps by companion.warm.max (least recently used goes)', async () => {
    fake.setControl({ mcp: { turns: [[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}]] } });
    proxy = await startCompanionProxy(fake, { warm: { max: 1, spare: 0 } });
    await sdk(proxy, sessionHeaders('tools-a')).messages.create(ask('a'));
    const first = fake.runs()[0]!;
    await sdk(proxy, sessionHeaders('tools-b')).messages.create(ask('b'));
    await waitFor(() => !isProcessAlive(first.pid), 10_000, 'the older tool session to end');
    const status = (await companionStatus(proxy)) as unknown as { toolSessions: Array<{ pending: unknown[] }> };
    expect(status.toolSessions).toHaveLength(1);
    expect(status.toolSessions[0]!.pending).toHaveLength(1);
  });
});
