/**
 * Anthropic Messages request bodies of an exact byte size. They are built once, up front,
 * so the load generator only sends bytes and never serialises JSON during a run.
 *
 * Bodies are a conversation history (user text, assistant tool_use, user tool_result)
 * rather than one long string: a parse-based cost (body inspection) scales with the
 * number of JSON values, and real agent traffic is many small values, not one big one.
 */

export const BENCH_MODEL = 'claude-sonnet-4-5';

/** The session id on the OpenClaw `Runtime:` line; the inspected route must report it. */
export const OPENCLAW_SESSION_ID = 'ca7bd9a2-f17a-46d1-899e-4bed7f0b49e4';

/** The mock upstream answers SSE when the body contains this exact text (JSON.stringify writes no spaces). */
export const STREAM_FLAG_JSON = '"stream":true';

const FILLER_SENTENCE = 'The quick brown fox reads the repository, runs the tests and writes a short summary of what changed. ';

/** ASCII filler of exactly `length` characters (ASCII, so characters equal bytes and JSON needs no escapes). */
function filler(length: number): string {
  return FILLER_SENTENCE.repeat(Math.ceil(length / FILLER_SENTENCE.length)).slice(0, length);
}

type Turn = Record<string, unknown>;

/** One agent round trip (~1.2 KB): the user asks, the assistant calls a tool, the tool answers. */
function agentRoundTrip(index: number): Turn[] {
  const toolUseId = `toolu_bench_${String(index).padStart(6, '0')}`;
  return [
    { role: 'user', content: [{ type: 'text', text: `Step ${index}: ${filler(180)}` }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: filler(120) },
        { type: 'tool_use', id: toolUseId, name: 'read', input: { path: `src/module-${index}.ts`, offset: index * 40, limit: 200 } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: [{ type: 'text', text: filler(640) }] }] },
  ];
}

/** The messages array: as many round trips as fit, then a final user turn of filler (resized later). */
function historyTurns(roughBytes: number): Turn[] {
  const turns: Turn[] = [];
  const roundTripBytes = JSON.stringify(agentRoundTrip(0)).length;
  for (let index = 0; (index + 1) * roundTripBytes < roughBytes; index += 1) turns.push(...agentRoundTrip(index));
  return turns;
}

/**
 * Serialises `build(padding)` with the padding sized so the result is exactly `targetBytes`.
 * `build` must place `padding` verbatim in one JSON string.
 */
function sizedJson(targetBytes: number, build: (padding: string) => unknown): Buffer {
  const bare = Buffer.byteLength(JSON.stringify(build('')));
  if (bare > targetBytes) throw new Error(`body skeleton is ${bare} bytes, larger than the ${targetBytes} bytes asked for`);
  const body = Buffer.from(JSON.stringify(build(filler(targetBytes - bare))));
  if (body.length !== targetBytes) throw new Error(`body came out at ${body.length} bytes, not ${targetBytes}`);
  return body;
}

export interface MessagesBodyOptions {
  targetBytes: number;
  stream: boolean;
}

/** A plain Anthropic SDK-style Messages body. */
export function messagesBody({ targetBytes, stream }: MessagesBodyOptions): Buffer {
  const history = historyTurns(targetBytes - 1024);
  return sizedJson(targetBytes, (padding) => ({
    model: BENCH_MODEL,
    max_tokens: 1024,
    ...(stream ? { stream: true } : {}),
    messages: [...history, { role: 'user', content: padding }],
  }));
}

const OPENCLAW_SYSTEM_PROMPT = [
  '<!-- openclaw:attempt:STABLE -->',
  'You are a personal assistant running inside OpenClaw.',
  '## Tooling',
  'Tools policy-filtered. Names case-sensitive; call exact.',
  '- read: Read files',
  '- write: Write files',
  '- edit: Exact file edits',
  '## Temporal Context',
  'Current date: 2026-11-24',
  `Runtime: agent=main | session=agent:main:explicit:${OPENCLAW_SESSION_ID} | sessionId=${OPENCLAW_SESSION_ID} | host=vm`,
].join('\n');

/** Tool definitions as OpenClaw sends them (JSON-schema inputs): part of what an inspection parses. */
const OPENCLAW_TOOLS = ['read', 'write', 'edit', 'ls', 'exec', 'apply_patch', 'web_fetch', 'session_status'].map((name) => ({
  name,
  description: `${name}: ${filler(160)}`,
  input_schema: {
    type: 'object',
    required: ['path'],
    properties: {
      path: { type: 'string', description: 'File path; relative to the workspace.' },
      limit: { type: 'number', description: 'Max entries; default 500.' },
    },
  },
}));

/**
 * An OpenClaw-shaped Messages body: the first system block starts with the attempt marker
 * and carries the `Runtime: … sessionId=…` line. Key order as captured from OpenClaw
 * (`model, messages, max_tokens, stream, system, tools`: the system prompt comes after the
 * history, so a detector has to parse the whole body). `stream` is false so the response
 * is the same small JSON for both detection variants and the difference is the inspection.
 */
export function openclawMessagesBody(targetBytes: number): Buffer {
  const history = historyTurns(targetBytes - 8 * 1024);
  return sizedJson(targetBytes, (padding) => ({
    model: BENCH_MODEL,
    messages: [...history, { role: 'user', content: padding }],
    max_tokens: 8192,
    stream: false,
    system: [{ type: 'text', text: OPENCLAW_SYSTEM_PROMPT }],
    tools: OPENCLAW_TOOLS,
  }));
}
