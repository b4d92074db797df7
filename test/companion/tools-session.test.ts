/**
 * The caller's tools on one warm fake `claude` (MCP client mode, fake-claude-mcp.ts), driven
 * through ToolSession as the warm session drives it: the round trip over the in-band MCP
 * transport, results in any order, errors, images, large results, interrupt, abandonment.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseCliLine } from '../../packages/core/src/backends/companion/cli/cli-records';
import { LineSplitter } from '../../packages/core/src/backends/companion/cli/line-splitter';
import type { CallerTool } from '../../packages/core/src/backends/companion/tools/caller-tools';
import { MessageAssembler } from '../../packages/core/src/backends/companion/tools/message-assembler';
import { ToolSession, type SegmentDone } from '../../packages/core/src/backends/companion/tools/tool-session';
import { createFakeClaude, type FakeClaude, type FakeMcpStep } from './support/fake-claude';
import { isProcessAlive, waitFor } from './support/process-table';

jest.setTimeout(30_000);

const TOOLS: CallerTool[] = [
  {
    name: 'get_weather',
    description: 'Get the weather for a city.',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  { name: 'get.time', description: 'Get the time.', inputSchema: { type: 'object', properties: { tz: { type: 'string' } } } },
];

interface Harness {
  session: ToolSession;
  child: ChildProcessWithoutNullStreams;
  abandoned: () => number;
  /** Starts a turn; resolves with the caller response (assembled) and how it ended. */
  turn(text: string): Promise<{ message: Record<string, any>; done: SegmentDone }>;
  /** Continues with the caller's tool_result blocks. */
  results(blocks: Array<Record<string, unknown>>): Promise<{ message: Record<string, any>; done: SegmentDone }>;
  stop(): Promise<void>;
}

let fake: FakeClaude;
const live: Harness[] = [];

beforeEach(() => {
  fake = createFakeClaude();
});
afterEach(async () => {
  for (const harness of live.splice(0)) await harness.stop();
  fake.cleanup();
});

function start(turns: FakeMcpStep[][], toolResultTimeoutMs = 60_000, extra: { discover?: boolean } = {}): Harness {
  fake.setControl({ mcp: { turns, ...extra } });
  let abandoned = 0;
  const child = spawn(
    fake.command,
    ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', ...ToolSession.cliArguments(TOOLS)],
    { env: { PATH: process.env.PATH ?? '', ...ToolSession.environment(toolResultTimeoutMs) }, stdio: 'pipe' },
  );
  const session = new ToolSession({
    tools: TOOLS,
    toolResultTimeoutMs,
    write: (line) => child.stdin.write(`${line}\n`),
    onAbandoned: () => {
      abandoned += 1;
      child.kill('SIGTERM');
    },
  });
  const splitter = new LineSplitter(
    (line) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        return;
      }
      session.takeStdout(json, parseCliLine(line));
    },
    64 * 1024 * 1024,
  );
  child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${session.initializeLine()}\n`);

  const segment = (begin: (sink: MessageAssembler, onDone: (done: SegmentDone) => void) => void) =>
    new Promise<{ message: Record<string, any>; done: SegmentDone }>((resolve) => {
      const assembler = new MessageAssembler();
      begin(assembler, (done) => resolve({ message: assembler.result(), done }));
    });
  const harness: Harness = {
    session,
    child,
    abandoned: () => abandoned,
    turn: (text) =>
      segment((sink, onDone) =>
        session.startTurn(JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' }), sink, onDone),
      ),
    results: (blocks) =>
      segment((sink, onDone) => {
        const continuation = session.continuation({ role: 'user', content: blocks as any });
        if (continuation.kind !== 'results') throw new Error(`not a continuation: ${continuation.kind}`);
        session.resume(continuation.results, sink, onDone);
      }),
    stop: async () => {
      session.dispose();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
  live.push(harness);
  return harness;
}

const textResult = (id: string, text: string, extra: Record<string, unknown> = {}) => ({
  type: 'tool_result',
  tool_use_id: id,
  is_error: false,
  content: [{ type: 'text', text }],
  ...extra,
});
const finalResults = (message: Record<string, any>): Array<{ toolUseId: string; name: string; result: any }> =>
  JSON.parse(String(message.content[0].text).replace(/^results:/, ''));

describe('caller tools over the in-band MCP transport', () => {
  it("runs a three-step agent loop (tool, tool, text) on one process with the caller's names and ids", async () => {
    const h = start([
      [{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { say: 'And the time.', tools: [{ name: 'get_time', input: { tz: 'UTC' } }] }, {}],
    ]);
    const first = await h.turn('weather and time?');
    expect(first.message.stop_reason).toBe('tool_use');
    expect(first.message.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_fake_/), name: 'get_weather', input: { city: 'Paris' } }]);
    expect(first.message.usage).toMatchObject({ input_tokens: 12, output_tokens: 20 });
    expect(h.session.pendingCalls()).toEqual([
      { id: first.message.content[0].id, name: 'get_weather', waitingMs: expect.any(Number), called: expect.any(Boolean) },
    ]);

    const second = await h.results([textResult(first.message.content[0].id, 'Paris: 21C')]);
    expect(second.message.stop_reason).toBe('tool_use');
    // The sanitised MCP name (get_time) maps back to the caller's own name.
    expect(second.message.content).toEqual([
      { type: 'text', text: 'And the time.' },
      { type: 'tool_use', id: expect.any(String), name: 'get.time', input: { tz: 'UTC' } },
    ]);

    const third = await h.results([textResult(second.message.content[1].id, '12:00')]);
    expect(third.done.kind).toBe('result');
    expect(third.message.stop_reason).toBe('end_turn');
    expect(finalResults(third.message)).toEqual([
      { toolUseId: first.message.content[0].id, name: 'get_weather', result: { content: [{ type: 'text', text: 'Paris: 21C' }] } },
      { toolUseId: second.message.content[1].id, name: 'get_time', result: { content: [{ type: 'text', text: '12:00' }] } },
    ]);
    const runs = fake.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.argv).toEqual(expect.arrayContaining(['--tools', '', '--strict-mcp-config', '--allowedTools', 'mcp__tokenpak,get_weather,get_time']));
    expect(runs[0]!.toolsList).toEqual([
      { name: 'get_weather', description: TOOLS[0]!.description, inputSchema: TOOLS[0]!.inputSchema, _meta: { 'anthropic/maxResultSizeChars': 500000 } },
      { name: 'get_time', description: TOOLS[1]!.description, inputSchema: TOOLS[1]!.inputSchema, _meta: { 'anthropic/maxResultSizeChars': 500000 } },
    ]);
    expect(runs[0]!.env.CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT).toBe('0');
  });

  it.each([false, true])('answers two tool calls of one turn in whatever order the CLI asks (parallel=%s)', async (parallel) => {
    const h = start([
      [
        {
          parallel,
          tools: [
            { name: 'get_weather', input: { city: 'Paris' } },
            { name: 'get_weather', input: { city: 'Tokyo' } },
          ],
        },
        {},
      ],
    ]);
    const first = await h.turn('two cities');
    const [paris, tokyo] = first.message.content as Array<{ id: string; input: unknown }>;
    expect([paris!.input, tokyo!.input]).toEqual([{ city: 'Paris' }, { city: 'Tokyo' }]);
    // Results in the reverse order of the calls.
    const final = await h.results([textResult(tokyo!.id, 'Tokyo: 18C'), textResult(paris!.id, 'Paris: 21C')]);
    const byId = new Map(finalResults(final.message).map((entry) => [entry.toolUseId, entry.result.content[0].text]));
    expect(byId).toEqual(
      new Map([
        [paris!.id, 'Paris: 21C'],
        [tokyo!.id, 'Tokyo: 18C'],
      ]),
    );
  });

  it('passes is_error, images and a 100 KB result through unchanged', async () => {
    const h = start([[{ tools: [{ name: 'get_weather', input: { city: 'X' } }] }, { tools: [{ name: 'get_weather', input: { city: 'Y' } }] }, {}]]);
    const big = 'x'.repeat(100 * 1024);
    const first = await h.turn('go');
    const second = await h.results([
      {
        type: 'tool_result',
        tool_use_id: first.message.content[0].id,
        is_error: true,
        content: [
          { type: 'text', text: 'no such city' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
    ]);
    const final = await h.results([textResult(second.message.content[0].id, big)]);
    const [errored, large] = finalResults(final.message);
    expect(errored!.result).toEqual({
      content: [
        { type: 'text', text: 'no such city' },
        { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      ],
      isError: true,
    });
    expect(large!.result.content[0].text).toBe(big);
  });

  it('tells a non-matching request apart, interrupts the pending turn, and the process takes the next line', async () => {
    const h = start([[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}], [{ text: 'fresh answer' }]], 60_000, { discover: true });
    const first = await h.turn('go');
    expect(h.session.continuation({ role: 'user', content: [{ type: 'text', text: 'edited history' }] })).toEqual({ kind: 'mismatch' });
    expect(h.session.continuation({ role: 'user', content: [textResult('toolu_other', 'x') as any] })).toEqual({ kind: 'mismatch' });
    h.session.interrupt();
    expect(h.session.waitingForResults).toBe(false);
    const next = await h.turn('new question');
    expect(next.message.content).toEqual([{ type: 'text', text: 'fresh answer' }]);
    expect(first.message.stop_reason).toBe('tool_use');
    // 2.1.332's server/discover got a JSON-RPC error and the handshake went on.
    expect(fake.runs()[0]!.mcp!.find((entry) => entry.dir === 'in' && (entry.message as any).error)).toBeDefined();
  });

  it('ends the session when the caller never comes back (no orphan process)', async () => {
    const h = start([[{ tools: [{ name: 'get_weather', input: { city: 'Paris' } }] }, {}]], 300);
    await h.turn('go');
    await waitFor(() => h.abandoned() === 1, 10_000, 'the abandon timeout');
    await waitFor(() => !isProcessAlive(h.child.pid!), 10_000, 'the CLI to exit');
    expect(h.session.waitingForResults).toBe(true);
  });
});
