import type { AnthropicStreamEvent, CliRecord, CliResultRecord } from '../cli/cli-records';
import type { ConversationMessage } from './messages-request';
import { messageIdFor, modelFromResult, stopReasonFrom, usageFromResult } from './result-to-message';

export interface SseSink {
  /** One SSE event: `event: <name>` with `data` as its JSON payload. */
  send(name: string, data: unknown): void;
}

/** Content the caller can be shown; the CLI's own tool calls are its business, not the caller's. */
const RELAYED_BLOCK_TYPES: ReadonlySet<string> = new Set(['text', 'thinking', 'redacted_thinking']);

/**
 * `stream-json --include-partial-messages` → Anthropic SSE, as the CLI emits it.
 *
 * The CLI's `stream_event` records carry the upstream's raw events, so one model call
 * relays almost verbatim. But one CLI run may make several model calls (its own tool
 * loop); the caller must still see exactly one message. So: the first `message_start`
 * is relayed and later ones are swallowed; content blocks are renumbered across calls;
 * the CLI's tool_use blocks are not relayed (the caller did not define those tools and
 * must not try to run them); each call's `message_delta`/`message_stop` is held back, and
 * the message is closed once, from the `result` record, with the run's real total usage.
 */
export class StreamJsonToSse {
  sessionId: string | null = null;
  result: CliResultRecord | null = null;
  private messageStarted = false;
  private nextIndex = 0;
  /** This model call's block index → relayed index, or null for a block not relayed. */
  private indexMap = new Map<number, number | null>();
  private readonly openBlocks = new Set<number>();
  private readonly answerTexts = new Map<number, string>();
  private heldStopReason: string | null = null;

  constructor(
    private readonly sink: SseSink,
    private readonly requestedModel: string | null,
  ) {}

  /** True once an event went to the client (errors after this must be SSE events). */
  get started(): boolean {
    return this.messageStarted;
  }

  push(record: CliRecord): void {
    switch (record.type) {
      case 'system':
        this.sessionId ??= record.session_id;
        return;
      case 'result':
        this.result = record;
        if (record.session_id) this.sessionId = record.session_id;
        return;
      case 'stream_event':
        if (record.parent_tool_use_id === null) this.relay(record.event);
        return;
      default:
        return;
    }
  }

  /** Closes the message from the (successful) result record; synthesises it whole if the CLI streamed no events. */
  finish(result: CliResultRecord): void {
    if (!this.messageStarted) this.synthesise(result);
    for (const index of this.openBlocks) this.sink.send('content_block_stop', { type: 'content_block_stop', index });
    this.openBlocks.clear();
    this.sink.send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReasonFrom(result.stop_reason ?? this.heldStopReason), stop_sequence: null },
      usage: usageFromResult(result),
    });
    this.sink.send('message_stop', { type: 'message_stop' });
  }

  /** The answer as the caller will echo it back next turn (for the session fingerprint). */
  answer(): ConversationMessage {
    const indexes = [...this.answerTexts.keys()].sort((a, b) => a - b);
    return { role: 'assistant', content: indexes.map((index) => ({ type: 'text', text: this.answerTexts.get(index)! })) };
  }

  private relay(event: AnthropicStreamEvent): void {
    switch (event.type) {
      case 'message_start':
        this.indexMap = new Map();
        this.heldStopReason = null;
        if (this.messageStarted) return;
        this.messageStarted = true;
        this.sink.send('message_start', event);
        return;
      case 'content_block_start': {
        if (!this.messageStarted || typeof event.index !== 'number') return;
        const block = event.content_block as { type?: unknown; text?: unknown } | undefined;
        if (!block || typeof block.type !== 'string' || !RELAYED_BLOCK_TYPES.has(block.type)) {
          this.indexMap.set(event.index, null);
          return;
        }
        const index = this.nextIndex++;
        this.indexMap.set(event.index, index);
        this.openBlocks.add(index);
        if (block.type === 'text') this.answerTexts.set(index, typeof block.text === 'string' ? block.text : '');
        this.sink.send('content_block_start', { ...event, index });
        return;
      }
      case 'content_block_delta': {
        const index = this.mapped(event);
        if (index === null) return;
        const delta = event.delta as { type?: unknown; text?: unknown } | undefined;
        if (delta?.type === 'text_delta' && typeof delta.text === 'string' && this.answerTexts.has(index)) {
          this.answerTexts.set(index, this.answerTexts.get(index)! + delta.text);
        }
        this.sink.send('content_block_delta', { ...event, index });
        return;
      }
      case 'content_block_stop': {
        const index = this.mapped(event);
        if (index === null) return;
        this.openBlocks.delete(index);
        this.sink.send('content_block_stop', { ...event, index });
        return;
      }
      case 'message_delta': {
        const delta = event.delta as { stop_reason?: unknown } | undefined;
        if (typeof delta?.stop_reason === 'string') this.heldStopReason = delta.stop_reason;
        return;
      }
      default:
        // message_stop (sent once, at the end), ping, and anything newer: not relayed.
        return;
    }
  }

  private mapped(event: AnthropicStreamEvent): number | null {
    if (typeof event.index !== 'number') return null;
    return this.indexMap.get(event.index) ?? null;
  }

  /** The whole message from the result record, for a CLI that streamed no events. */
  private synthesise(result: CliResultRecord): void {
    const usage = usageFromResult(result);
    this.messageStarted = true;
    this.sink.send('message_start', {
      type: 'message_start',
      message: {
        id: messageIdFor(result),
        type: 'message',
        role: 'assistant',
        model: modelFromResult(result, this.requestedModel),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 0 },
      },
    });
    const text = result.result ?? '';
    if (text.length === 0) return;
    const index = this.nextIndex++;
    this.answerTexts.set(index, text);
    this.sink.send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    this.sink.send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    this.sink.send('content_block_stop', { type: 'content_block_stop', index });
  }
}
