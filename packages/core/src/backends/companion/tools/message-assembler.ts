import type { SseSink } from '../messages/stream-json-to-sse';

/**
 * Folds the Anthropic SSE events of one message back into the non-streaming Messages API body
 * (the same folding the official SDKs do: `message_start.message`, blocks by index, `text_delta`
 * appended, `input_json_delta` concatenated and parsed at `content_block_stop`, `message_delta`
 * supplying `stop_reason` and usage). Lets a JSON request share the streaming path.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export class MessageAssembler implements SseSink {
  private message: Json | null = null;
  private readonly blocks = new Map<number, Json>();
  private readonly partialJson = new Map<number, string>();
  private stopReason: unknown = null;
  private usage: Json = {};

  send(name: string, data: unknown): void {
    if (!isObject(data)) return;
    const index = typeof data.index === 'number' ? data.index : -1;
    switch (name) {
      case 'message_start':
        this.message = isObject(data.message) ? { ...data.message } : {};
        this.usage = isObject(this.message.usage) ? { ...this.message.usage } : {};
        return;
      case 'content_block_start':
        if (isObject(data.content_block)) this.blocks.set(index, { ...data.content_block });
        return;
      case 'content_block_delta': {
        const block = this.blocks.get(index);
        const delta = isObject(data.delta) ? data.delta : {};
        if (!block) return;
        if (delta.type === 'text_delta' && typeof delta.text === 'string') block.text = `${typeof block.text === 'string' ? block.text : ''}${delta.text}`;
        if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string')
          block.thinking = `${typeof block.thinking === 'string' ? block.thinking : ''}${delta.thinking}`;
        if (delta.type === 'signature_delta' && typeof delta.signature === 'string') block.signature = delta.signature;
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string')
          this.partialJson.set(index, (this.partialJson.get(index) ?? '') + delta.partial_json);
        return;
      }
      case 'content_block_stop': {
        const block = this.blocks.get(index);
        const json = this.partialJson.get(index);
        if (block && block.type === 'tool_use' && json !== undefined) {
          try {
            block.input = JSON.parse(json) as unknown;
          } catch {
            block.input = json;
          }
        }
        return;
      }
      case 'message_delta': {
        const delta = isObject(data.delta) ? data.delta : {};
        this.stopReason = delta.stop_reason ?? this.stopReason;
        if (isObject(data.usage)) this.usage = { ...this.usage, ...data.usage };
        return;
      }
      default:
        return;
    }
  }

  /** The assembled `type: "message"` body. */
  result(): Json {
    const content = [...this.blocks.keys()].sort((a, b) => a - b).map((index) => this.blocks.get(index)!);
    return { ...(this.message ?? { type: 'message', role: 'assistant' }), content, stop_reason: this.stopReason, stop_sequence: null, usage: this.usage };
  }
}
