/**
 * Opt-in: the caller's tools through the REAL `claude` CLI (from npm) against a mock model on
 * loopback that answers with a `tool_use`, then with text echoing the `tool_result`. Not part of
 * `npm test` (the file name does not match `*.test.ts`). Run it only inside a network namespace
 * with nothing but `lo`, so the CLI cannot reach the network:
 *
 *   npm install --prefix /tmp/realclaude @anthropic-ai/claude-code
 *   TOKENPAK_REAL_CLAUDE=/tmp/realclaude/node_modules/.bin/claude \
 *     unshare -rn sh -c "ip link set lo up && npm run test:real-claude"
 */
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { parseCliLine } from '../../packages/core/src/backends/companion/cli/cli-records';
import { LineSplitter } from '../../packages/core/src/backends/companion/cli/line-splitter';
import type { CallerTool } from '../../packages/core/src/backends/companion/tools/caller-tools';
import { MessageAssembler } from '../../packages/core/src/backends/companion/tools/message-assembler';
import { ToolSession, type SegmentDone } from '../../packages/core/src/backends/companion/tools/tool-session';
import { startMockUpstream, type RecordedRequest } from '../support/mock-upstream';
import { MODEL, sdk, sessionHeaders } from './support/companion-harness';
import { startProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

jest.setTimeout(120_000);

const CLAUDE = process.env.TOKENPAK_REAL_CLAUDE ?? '';
const TOOLS: CallerTool[] = [
  {
    name: 'get_weather',
    description: 'Get the weather for a city.',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

function sse(res: ServerResponse, events: Array<Record<string, unknown>>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events) res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

let toolUses = 0;

/** The mock model: tool_use for the first tool it is shown (ids toolu_real_1, _2, …), then text quoting the tool_result. */
function model(request: RecordedRequest, res: ServerResponse): void {
  if (request.method !== 'POST') {
    res.writeHead(200).end();
    return;
  }
  const body = JSON.parse(request.body.toString('utf8')) as { tools?: Array<{ name: string }>; messages: Array<{ content: unknown }> };
  const last = body.messages[body.messages.length - 1]!.content;
  const result = Array.isArray(last) ? (last as Array<Record<string, any>>).find((block) => block.type === 'tool_result') : undefined;
  const usage = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
  const start = {
    type: 'message_start',
    message: {
      id: `msg_mock_${Date.now()}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  };
  const tool = (body.tools ?? []).find((candidate) => candidate.name.endsWith('get_weather'));
  if (!result && tool) {
    sse(res, [
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_real_${++toolUses}`, name: tool.name, input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":"Paris"}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { ...usage, output_tokens: 20 } },
      { type: 'message_stop' },
    ]);
    return;
  }
  const text = `FINAL: ${JSON.stringify(result?.content ?? null)} is_error=${String(result?.is_error ?? false)}`;
  sse(res, [
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { ...usage, output_tokens: 20 } },
    { type: 'message_stop' },
  ]);
}

describe('caller tools through the real claude CLI', () => {
  it('is run inside a network namespace with only loopback, with TOKENPAK_REAL_CLAUDE set', () => {
    expect(CLAUDE).not.toBe('');
    expect(Object.keys(networkInterfaces()).filter((name) => name !== 'lo')).toEqual([]);
  });

  it('round-trips a tool call over the in-band MCP transport on one warm process', async () => {
    expect(Object.keys(networkInterfaces()).filter((name) => name !== 'lo')).toEqual([]);
    const upstream = await startMockUpstream(model);
    const home = makeTempDir('tokenpak-real-claude-');
    const child = spawn(
      CLAUDE,
      ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', ...ToolSession.cliArguments(TOOLS)],
      {
        cwd: home.dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home.dir,
          ANTHROPIC_BASE_URL: upstream.url,
          ANTHROPIC_API_KEY: 'sk-ant-api03-fake',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          ...ToolSession.environment(60_000),
        },
        stdio: 'pipe',
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const session = new ToolSession({
      tools: TOOLS,
      toolResultTimeoutMs: 60_000,
      write: (line) => child.stdin.write(`${line}\n`),
      onAbandoned: () => child.kill(),
    });
    const splitter = new LineSplitter(
      (line) => {
        try {
          session.takeStdout(JSON.parse(line), parseCliLine(line));
        } catch {
          // not JSON: ignored
        }
      },
      64 * 1024 * 1024,
    );
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    const segment = (begin: (sink: MessageAssembler, onDone: (done: SegmentDone) => void) => void) =>
      new Promise<Record<string, any>>((resolve) => {
        const assembler = new MessageAssembler();
        begin(assembler, () => resolve(assembler.result()));
      });
    try {
      const t0 = performance.now();
      child.stdin.write(`${session.initializeLine()}\n`);
      const ask = (text: string) =>
        segment((sink, done) =>
          session.startTurn(JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' }), sink, done),
        );
      const answer = (block: Record<string, unknown>) =>
        segment((sink, done) => {
          const continuation = session.continuation({ role: 'user', content: [block as any] });
          if (continuation.kind !== 'results') throw new Error(`not a continuation: ${continuation.kind}`);
          session.resume(continuation.results, sink, done);
        });
      const first = await ask('weather in Paris?');
      const t1 = performance.now();
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content).toEqual([{ type: 'tool_use', id: 'toolu_real_1', name: 'get_weather', input: { city: 'Paris' } }]);
      const final = await answer({ type: 'tool_result', tool_use_id: 'toolu_real_1', is_error: false, content: [{ type: 'text', text: 'x'.repeat(60_000) }] });
      const t2 = performance.now();
      expect(final.stop_reason).toBe('end_turn');
      // The model saw the whole 60,000-character result (anthropic/maxResultSizeChars), not a file pointer.
      const text = String(final.content[0].text);
      expect({ longestRun: Math.max(...(text.match(/x+/g) ?? ['']).map((run) => run.length)), truncated: text.includes('characters truncated') }).toEqual({
        longestRun: 60_000,
        truncated: false,
      });

      // Second turn on the same process: an is_error result reaches the model as is_error.
      const second = await ask('and in Tokyo?');
      expect(second.content[0]).toMatchObject({ type: 'tool_use', id: 'toolu_real_2', name: 'get_weather' });
      const t3 = performance.now();
      const failed = await answer({ type: 'tool_result', tool_use_id: 'toolu_real_2', is_error: true, content: [{ type: 'text', text: 'no weather today' }] });
      const t4 = performance.now();
      expect(String(failed.content[0].text)).toMatch(/no weather today.*is_error=true/);
      process.stdout.write(`real CLI: warm turn to tool_use ${Math.round(t3 - t2)} ms; tool round trip ${Math.round(t4 - t3)} ms\n`);
      const shown = JSON.parse(upstream.requests.filter((request) => request.method === 'POST')[0]!.body.toString('utf8')) as {
        tools: Array<{ name: string }>;
      };
      process.stdout.write(
        `real CLI: tool names shown to the model: ${JSON.stringify(shown.tools.map((tool) => tool.name))}; first response ${Math.round(t1 - t0)} ms; tool round trip ${Math.round(t2 - t1)} ms\n`,
      );
      expect(shown.tools.map((tool) => tool.name)).toContain('get_weather');
    } catch (error) {
      process.stdout.write(`claude stderr: ${stderr}\n`);
      throw error;
    } finally {
      session.dispose();
      child.kill('SIGKILL');
      await upstream.close();
      home.cleanup();
    }
  });

  it('serves an agent step through the proxy: SDK → TokenPak → real claude → mock model and back', async () => {
    const upstream = await startMockUpstream(model);
    const home = makeTempDir('tokenpak-real-claude-proxy-');
    // The companion strips ANTHROPIC_BASE_URL / keys from the CLI's environment (its own login is
    // what it uses); a wrapper points the real CLI at the mock model instead.
    const wrapper = path.join(home.dir, 'claude');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexport HOME='${home.dir}' ANTHROPIC_BASE_URL='${upstream.url}' ANTHROPIC_API_KEY=sk-ant-api03-fake DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1\nexec '${CLAUDE}' "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const proxy = await startProxy({ state: { dir: path.join(home.dir, 'state') }, companion: { command: wrapper, warm: { spare: 0 } } });
    try {
      const client = sdk(proxy, sessionHeaders('real-cli-tools'));
      const params = {
        model: MODEL,
        max_tokens: 256,
        tools: [
          {
            name: 'get_weather',
            description: 'Get the weather for a city.',
            input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
          },
        ],
        messages: [{ role: 'user' as const, content: 'weather in Paris?' }],
      };
      const t0 = performance.now();
      const first = await client.messages.create(params);
      const t1 = performance.now();
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((block) => block.type === 'tool_use');
      expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
      const final = await client.messages
        .stream({
          ...params,
          messages: [
            ...params.messages,
            { role: 'assistant', content: first.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: (use as { id: string }).id, content: 'Paris: 21C sunny' }] },
          ],
        })
        .finalMessage();
      const t2 = performance.now();
      expect(final.stop_reason).toBe('end_turn');
      expect(final.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('Paris: 21C sunny') });
      process.stdout.write(
        `real CLI through the proxy: first answer (cold start) ${Math.round(t1 - t0)} ms; tool_result → final answer ${Math.round(t2 - t1)} ms\n`,
      );
    } finally {
      await proxy.stop();
      await upstream.close();
      home.cleanup();
    }
  });
});
