import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCliLine } from '../../packages/core/src/backends/companion/cli/cli-records';
import { mcpToolDefinition, parseCallerTools } from '../../packages/core/src/backends/companion/tools/caller-tools';
import { InBandMcpServer, type InBandToolCall } from '../../packages/core/src/backends/companion/tools/in-band-mcp-server';
import { MessageAssembler } from '../../packages/core/src/backends/companion/tools/message-assembler';
import { PendingToolCalls } from '../../packages/core/src/backends/companion/tools/pending-tool-calls';
import { toMcpResult } from '../../packages/core/src/backends/companion/tools/tool-result-content';
import { ToolNameMap } from '../../packages/core/src/backends/companion/tools/tool-names';
import { ToolTurnStream, type SegmentEnd } from '../../packages/core/src/backends/companion/tools/tool-turn-stream';
import { CAPTURES_DIR } from '../support/captures';

const MCP_CAPTURES = path.join(CAPTURES_DIR, 'claude-code-mcp');
const lines = (file: string): unknown[] =>
  readFileSync(path.join(MCP_CAPTURES, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('ToolNameMap', () => {
  it('sanitises like the CLI, stays collision-free and maps back from both model-visible forms', () => {
    const names = new ToolNameMap(['get_weather', 'a.b', 'a_b', 'has space', 'a.b'], 'tokenpak');
    expect(names.entries).toEqual([
      { caller: 'get_weather', mcp: 'get_weather' },
      { caller: 'a.b', mcp: 'a_b' },
      { caller: 'a_b', mcp: 'a_b_2' },
      { caller: 'has space', mcp: 'has_space' },
    ]);
    expect(names.callerFromModel('mcp__tokenpak__a_b_2')).toBe('a_b');
    expect(names.callerFromModel('a_b')).toBe('a.b');
    expect(names.callerFromMcp('has_space')).toBe('has space');
    expect(names.callerFromModel('Bash')).toBeNull();
    expect(names.callerFromModel('mcp__other__get_weather')).toBeNull();
  });
});

describe('parseCallerTools', () => {
  const weather = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

  it('serves custom tools unchanged, lists server tools and unforceable choices as ignored', () => {
    const parsed = parseCallerTools({
      tools: [weather, { type: 'web_search_20250305', name: 'web_search' }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.tools.tools).toEqual([{ name: 'get_weather', description: 'Weather', inputSchema: weather.input_schema }]);
    expect(parsed.tools.choice).toEqual({ type: 'any' });
    expect(parsed.tools.choiceInstruction).toMatch(/must answer this turn by calling one of the available tools/);
    expect(parsed.tools.ignored).toEqual([
      'tools[1] (web_search_20250305)',
      expect.stringMatching(/^tool_choice\.any/),
      'tool_choice.disable_parallel_tool_use',
    ]);
    expect(mcpToolDefinition(parsed.tools.tools[0]!, 'get_weather')).toEqual({
      name: 'get_weather',
      description: 'Weather',
      inputSchema: weather.input_schema,
      _meta: { 'anthropic/maxResultSizeChars': 500000 },
    });
  });

  it('answers bad tools and choices with a message naming the field', () => {
    expect(parseCallerTools({ tools: [{ name: 'x' }] })).toEqual({ ok: false, message: 'tools[0].input_schema must be an object' });
    expect(parseCallerTools({ tools: [weather, weather] })).toEqual({ ok: false, message: 'tools[1].name "get_weather" is not unique' });
    expect(parseCallerTools({ tools: [weather], tool_choice: { type: 'tool', name: 'nope' } })).toEqual({
      ok: false,
      message: 'tool_choice.name "nope" is not one of the request\'s tools',
    });
    expect(parseCallerTools({ tool_choice: { type: 'sometimes' } }).ok).toBe(false);
    const none = parseCallerTools({ tools: [weather], tool_choice: { type: 'none' } });
    expect(none.ok && none.tools.choice).toEqual({ type: 'none' });
  });
});

describe('toMcpResult', () => {
  it('carries text, base64 images and is_error; names what MCP cannot carry', () => {
    expect(
      toMcpResult({
        type: 'tool_result',
        tool_use_id: 't1',
        is_error: true,
        content: [
          { type: 'text', text: 'boom' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.invalid/a.png' } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc text' } },
        ],
      }),
    ).toEqual({
      content: [
        { type: 'text', text: 'boom' },
        { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
        { type: 'text', text: '[image: https://example.invalid/a.png]' },
        { type: 'text', text: 'doc text' },
      ],
      isError: true,
    });
    expect(toMcpResult({ type: 'tool_result', tool_use_id: 't1', is_error: false, content: [] })).toEqual({ content: [] });
  });
});

describe('PendingToolCalls', () => {
  it('matches results to calls by tool_use id whichever arrives first', () => {
    const pending = new PendingToolCalls(60_000, () => undefined);
    pending.awaitResults([
      { id: 'a', name: 'x' },
      { id: 'b', name: 'y' },
    ]);
    const answers: Array<[string, unknown]> = [];
    pending.call({ toolUseId: 'a', answer: (result) => answers.push(['a', result]) });
    expect(pending.list().map((info) => [info.id, info.called])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(pending.matches(['b'])).toBe(false);
    expect(pending.matches(['b', 'c'])).toBe(false);
    expect(pending.matches(['b', 'a'])).toBe(true);
    pending.deliver(
      new Map([
        ['b', { content: [{ type: 'text', text: 'B' }] }],
        ['a', { content: [{ type: 'text', text: 'A' }] }],
      ]),
    );
    expect(answers).toEqual([['a', { content: [{ type: 'text', text: 'A' }] }]]);
    expect(pending.waiting).toBe(false);
    pending.call({ toolUseId: 'b', answer: (result) => answers.push(['b', result]) });
    expect(answers[1]).toEqual(['b', { content: [{ type: 'text', text: 'B' }] }]);
  });

  it('reports a caller that never comes back once, after the timeout', async () => {
    let abandoned = 0;
    const pending = new PendingToolCalls(30, () => (abandoned += 1));
    pending.awaitResults([{ id: 'a', name: 'x' }]);
    const deadline = Date.now() + 5000;
    while (abandoned === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(abandoned).toBe(1);
    pending.awaitResults([{ id: 'b', name: 'x' }]);
    pending.deliver(new Map([['b', { content: [] }]]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(abandoned).toBe(1);
  });
});

describe('InBandMcpServer', () => {
  it.each(['197', '332'])('answers the captured %s handshake and tool call like the SDK server did', (version) => {
    const captured = lines(`${version}-sdk-smoke.control.jsonl`) as Array<{ dir: 'stdin' | 'stdout'; record: Record<string, any> }>;
    const written: Array<Record<string, any>> = [];
    const calls: InBandToolCall[] = [];
    const capturedList = captured.find((line) => line.dir === 'stdin' && line.record.response?.response?.mcp_response?.result?.tools)!.record.response.response
      .mcp_response.result.tools as any[];
    const server = new InBandMcpServer({
      serverName: 'proxy',
      tools: capturedList.map((tool) => ({ ...tool, _meta: { 'anthropic/maxResultSizeChars': 500000 } })),
      write: (line) => written.push(JSON.parse(line)),
      onToolCall: (call) => calls.push(call),
    });
    expect(JSON.parse(server.initializeLine())).toEqual({
      type: 'control_request',
      request_id: 'tokenpak_init',
      request: { subtype: 'initialize', sdkMcpServers: ['proxy'] },
    });
    for (const line of captured.filter((entry) => entry.dir === 'stdout')) expect(server.handle(line.record)).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.toolUseId).toMatch(/^toolu_mock_01_/);
    expect(calls[0]!.mcpName).toBe('get_weather');
    expect(calls[0]!.arguments).toEqual({ city: 'Paris' });
    calls[0]!.answer({ content: [{ type: 'text', text: 'Paris: 21C sunny (call#0, held 0ms)' }] });
    calls[0]!.answer({ content: [{ type: 'text', text: 'twice' }] });

    const expected = captured.filter((entry) => entry.dir === 'stdin' && entry.record.type === 'control_response').map((entry) => entry.record);
    expect(written.map((record) => record.response.request_id)).toEqual(expected.map((record) => record.response.request_id));
    for (const [index, record] of written.entries()) {
      const mine = record.response.response.mcp_response;
      const theirs = expected[index]!.response.response.mcp_response;
      expect(mine.id).toEqual(theirs.id);
      if (theirs.result?.tools) expect(mine.result.tools.map((tool: any) => tool.name)).toEqual(theirs.result.tools.map((tool: any) => tool.name));
      else if (theirs.result?.serverInfo) expect(mine.result.protocolVersion).toBe(theirs.result.protocolVersion);
      else expect(mine.result).toEqual(theirs.result);
    }
    expect(server.handle({ type: 'system', subtype: 'init' })).toBe(false);
  });

  it('refuses unknown methods and control requests without stopping', () => {
    const written: Array<Record<string, any>> = [];
    const server = new InBandMcpServer({ serverName: 'tokenpak', tools: [], write: (line) => written.push(JSON.parse(line)), onToolCall: () => undefined });
    server.handle({
      type: 'control_request',
      request_id: 'r1',
      request: { subtype: 'mcp_message', server_name: 'tokenpak', message: { jsonrpc: '2.0', id: 7, method: 'server/discover' } },
    });
    server.handle({ type: 'control_request', request_id: 'r2', request: { subtype: 'can_use_tool', tool_name: 'Bash' } });
    server.handle({
      type: 'control_request',
      request_id: 'r3',
      request: { subtype: 'mcp_message', server_name: 'tokenpak', message: { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'x' } } },
    });
    expect(written[0]!.response.response.mcp_response).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32601, message: 'Method not found: server/discover' },
    });
    expect(written[1]!.response).toEqual({ subtype: 'error', request_id: 'r2', error: 'TokenPak does not handle control request "can_use_tool"' });
    expect(written[2]!.response.response.mcp_response.result.isError).toBe(true);
  });
});

/** Replays a captured stdout through ToolTurnStream; returns each segment's SSE events and end. */
function replay(file: string, serverName: string): Array<{ events: Array<[string, any]>; end: SegmentEnd; answer: unknown }> {
  const stream = new ToolTurnStream(new ToolNameMap(['get_weather', 'get_time'], serverName));
  const segments: Array<{ events: Array<[string, any]>; end: SegmentEnd; answer: unknown }> = [];
  let events: Array<[string, any]> = [];
  const attach = (): void =>
    stream.attach({ send: (name, data) => events.push([name, data]) }, (end, answer) => {
      segments.push({ events, end, answer });
      events = [];
    });
  attach();
  for (const raw of readFileSync(path.join(MCP_CAPTURES, file), 'utf8').split('\n')) {
    const record = parseCliLine(raw);
    if (record) stream.push(record);
    if (!stream.attached && segments.length === 1 && raw.includes('"type":"user"')) attach();
  }
  return segments;
}

describe('ToolTurnStream', () => {
  it('ends the caller response at the captured tool_use and relays the continuation as the next one', () => {
    const [first, second] = replay('197-sdk-smoke.stdout.jsonl', 'proxy');
    expect(first!.end).toEqual({ kind: 'tool_use', toolUses: [{ id: expect.stringMatching(/^toolu_mock_01_/), name: 'get_weather' }] });
    expect(first!.events.map(([name]) => name)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(first!.events[4]![1].content_block).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    expect(first!.events[8]![1]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 20, service_tier: 'standard' },
    });
    expect(first!.answer).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: expect.any(String), name: 'get_weather', input: { city: 'Paris' } },
      ],
    });
    expect(second!.end.kind).toBe('result');
    expect(second!.events[0]![0]).toBe('message_start');
    expect(second!.events.find(([name]) => name === 'message_delta')![1].delta.stop_reason).toBe('end_turn');
    expect(second!.answer).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'FINAL: tool said: Paris: 21C sunny (call#0, held 0ms)' }] });
  });

  it('collects two parallel tool_use blocks into one response', () => {
    const [first] = replay('197-par.stdout.jsonl', 'proxy');
    expect(first!.end.kind === 'tool_use' && first!.end.toolUses.map((use) => use.name)).toEqual(['get_weather', 'get_weather']);
    const assembler = new MessageAssembler();
    for (const [name, data] of first!.events) assembler.send(name, data);
    expect(assembler.result()).toMatchObject({
      type: 'message',
      stop_reason: 'tool_use',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', name: 'get_weather', input: { city: 'Tokyo' } },
      ],
      usage: { output_tokens: 20 },
    });
  });

  it("keeps the CLI's own tool_use blocks hidden (not the caller's tools)", () => {
    const [first] = replay('197-sdk-smoke.stdout.jsonl', 'elsewhere');
    // Under another server name the tool is not the caller's: the turn runs through to its result.
    expect(first!.end.kind).toBe('result');
    expect(first!.events.some(([name, data]) => name === 'content_block_start' && data.content_block.type === 'tool_use')).toBe(false);
  });
});
