import type { AnthropicStreamEvent, CliRecord, CliResultRecord } from '../cli/cli-records';
import type { ContentBlock, ConversationMessage } from '../messages/messages-request';
import type { SseSink } from '../messages/stream-json-to-sse';
import type { AwaitedToolUse } from './pending-tool-calls';
import type { ToolNameMap } from './tool-names';

/**
 * One warm CLI turn that may stop at the caller's tools, cut into caller responses (segments).
 *
 * The CLI's `--include-partial-messages` output carries the upstream's raw events per model
 * call (captures `claude-code-mcp/*-smoke`, `*-par`). A model call that ends with
 * `stop_reason: "tool_use"` and calls at least one of the caller's tools ends the caller's
 * response right there: its `tool_use` blocks (caller's name, model's input and id),
 * `message_delta` with `stop_reason: "tool_use"` and that call's usage, `message_stop`. The
 * CLI meanwhile waits in its MCP `tools/call`s; the caller's next request attaches a new
 * segment, and the continuation (after the results are delivered) is relayed to it. The
 * CLI's own `tool_use` blocks (built-ins, if any are enabled) stay hidden as before, and a
 * segment ends normally at the turn's `result` record.
 *
 * Records that arrive while no segment is attached are kept and replayed into the next one.
 */

/** Content the caller can be shown besides its own tool calls. */
const RELAYED_BLOCK_TYPES: ReadonlySet<string> = new Set(['text', 'thinking', 'redacted_thinking']);

export type SegmentEnd = { kind: 'tool_use'; toolUses: AwaitedToolUse[] } | { kind: 'result'; result: CliResultRecord };

/** Messages API `usage` of one model call, as the CLI streamed it. */
export type Usage = Record<string, unknown>;
type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

interface OpenToolUse {
  id: string;
  name: string;
  json: string;
}

class Segment {
  messageStarted = false;
  nextIndex = 0;
  readonly openBlocks = new Set<number>();
  /** Relayed index → what the caller will echo back. */
  readonly blocks = new Map<number, ContentBlock>();
  readonly toolJson = new Map<number, OpenToolUse>();

  constructor(
    readonly sink: SseSink,
    readonly onEnd: (end: SegmentEnd, answer: ConversationMessage, usage: Usage) => void,
  ) {}
}

export class ToolTurnStream {
  private segment: Segment | null = null;
  private readonly backlog: CliRecord[] = [];
  /** This model call's block index → relayed index (null: not relayed). */
  private indexMap = new Map<number, number | null>();
  private callUsage: Usage = {};
  private callToolUses: AwaitedToolUse[] = [];
  private heldStopReason: string | null = null;
  /** True between an abandoned segment and the end of its CLI turn. */
  private discarding = false;

  constructor(private readonly names: ToolNameMap) {}

  get attached(): boolean {
    return this.segment !== null;
  }

  /** Attaches the next caller response; records kept meanwhile are relayed to it first. */
  attach(sink: SseSink, onEnd: (end: SegmentEnd, answer: ConversationMessage, usage: Usage) => void): void {
    this.segment = new Segment(sink, onEnd);
    while (this.segment && this.backlog.length > 0) this.push(this.backlog.shift()!);
  }

  /** Detaches without ending (the caller went away, or the turn was interrupted): records are dropped until the turn's `result`. */
  detach(): void {
    this.segment = null;
    this.backlog.length = 0;
    this.discarding = true;
  }

  push(record: CliRecord): void {
    if (this.discarding) {
      if (record.type === 'result') this.discarding = false;
      return;
    }
    if (!this.segment) {
      this.backlog.push(record);
      return;
    }
    if (record.type === 'result') {
      this.end({ kind: 'result', result: record });
      return;
    }
    if (record.type === 'stream_event' && record.parent_tool_use_id === null) this.relay(this.segment, record.event);
  }

  private relay(segment: Segment, event: AnthropicStreamEvent): void {
    switch (event.type) {
      case 'message_start': {
        this.indexMap = new Map();
        this.callToolUses = [];
        this.heldStopReason = null;
        const message = isObject(event.message) ? event.message : {};
        this.callUsage = isObject(message.usage) ? { ...message.usage } : {};
        if (segment.messageStarted) return;
        segment.messageStarted = true;
        segment.sink.send('message_start', event);
        return;
      }
      case 'content_block_start': {
        if (!segment.messageStarted || typeof event.index !== 'number') return;
        const block = isObject(event.content_block) ? event.content_block : {};
        const callerName = block.type === 'tool_use' && typeof block.name === 'string' ? this.names.callerFromModel(block.name) : null;
        if (callerName === null && !(typeof block.type === 'string' && RELAYED_BLOCK_TYPES.has(block.type))) {
          this.indexMap.set(event.index, null);
          return;
        }
        const index = segment.nextIndex++;
        this.indexMap.set(event.index, index);
        segment.openBlocks.add(index);
        if (callerName !== null) {
          const id = typeof block.id === 'string' ? block.id : '';
          segment.toolJson.set(index, { id, name: callerName, json: '' });
          this.callToolUses.push({ id, name: callerName });
          segment.sink.send('content_block_start', { ...event, index, content_block: { ...block, name: callerName } });
          return;
        }
        if (block.type === 'text') segment.blocks.set(index, { type: 'text', text: typeof block.text === 'string' ? block.text : '' });
        segment.sink.send('content_block_start', { ...event, index });
        return;
      }
      case 'content_block_delta': {
        const index = this.mapped(event);
        if (index === null) return;
        const delta = isObject(event.delta) ? event.delta : {};
        const text = segment.blocks.get(index);
        if (delta.type === 'text_delta' && typeof delta.text === 'string' && text?.type === 'text') text.text += delta.text;
        const tool = segment.toolJson.get(index);
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && tool) tool.json += delta.partial_json;
        segment.sink.send('content_block_delta', { ...event, index });
        return;
      }
      case 'content_block_stop': {
        const index = this.mapped(event);
        if (index === null) return;
        this.closeBlock(segment, index);
        return;
      }
      case 'message_delta': {
        const delta = isObject(event.delta) ? event.delta : {};
        if (isObject(event.usage)) this.callUsage = { ...this.callUsage, ...event.usage };
        if (typeof delta.stop_reason === 'string') this.heldStopReason = delta.stop_reason;
        if (delta.stop_reason === 'tool_use' && this.callToolUses.length > 0) this.end({ kind: 'tool_use', toolUses: this.callToolUses });
        return;
      }
      default:
        // message_stop (sent once per segment, at its end), ping, and anything newer: not relayed.
        return;
    }
  }

  private closeBlock(segment: Segment, index: number): void {
    if (!segment.openBlocks.delete(index)) return;
    const tool = segment.toolJson.get(index);
    if (tool) segment.blocks.set(index, { type: 'tool_use', id: tool.id, name: tool.name, input: parseInput(tool.json) });
    segment.sink.send('content_block_stop', { type: 'content_block_stop', index });
  }

  private end(end: SegmentEnd): void {
    const segment = this.segment;
    if (!segment) return;
    this.segment = null;
    if (!segment.messageStarted && end.kind === 'result') synthesiseText(segment, end.result);
    for (const index of [...segment.openBlocks]) this.closeBlock(segment, index);
    const stopReason = end.kind === 'tool_use' ? 'tool_use' : (end.result.stop_reason ?? this.heldStopReason ?? 'end_turn');
    const usage = this.segmentUsage(end);
    segment.sink.send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage });
    segment.sink.send('message_stop', { type: 'message_stop' });
    const indexes = [...segment.blocks.keys()].sort((a, b) => a - b);
    segment.onEnd(end, { role: 'assistant', content: indexes.map((index) => segment.blocks.get(index)!) }, usage);
  }

  /** The usage of the model call that ended the segment (the caller pays per model call, as with the API). */
  private segmentUsage(end: SegmentEnd): Usage {
    const usage = { ...this.callUsage };
    if (Object.keys(usage).length === 0 && end.kind === 'result') return { ...end.result.usage };
    return usage;
  }

  private mapped(event: AnthropicStreamEvent): number | null {
    if (typeof event.index !== 'number') return null;
    return this.indexMap.get(event.index) ?? null;
  }
}

/** The model's tool input; the raw string when the streamed JSON does not parse (never silently `{}`). */
function parseInput(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

/** For a CLI that streamed no events: the whole answer from the result record. */
function synthesiseText(segment: Segment, result: CliResultRecord): void {
  segment.messageStarted = true;
  segment.sink.send('message_start', {
    type: 'message_start',
    message: {
      id: `msg_${(result.uuid ?? 'companion').replace(/[^A-Za-z0-9]/g, '')}`,
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...result.usage, output_tokens: 0 },
    },
  });
  const text = result.result ?? '';
  if (text.length === 0) return;
  const index = segment.nextIndex++;
  segment.openBlocks.add(index);
  segment.blocks.set(index, { type: 'text', text });
  segment.sink.send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
  segment.sink.send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
}
