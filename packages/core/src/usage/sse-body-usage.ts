import { FieldSelection, JsonFieldScanner } from './json-field-scanner';
import { asText, errorTypeOf, isJsonObject, type BodyUsageReader, type ResponseObservation } from './response-observation';
import { SseEventNames } from './sse-event-names';
import { SseEventScanner, type SseEventHandler } from './sse-event-scanner';
import { anthropicUsageFields, fromAnthropicUsage, fromAnyUsage, fromResponsesUsage, type AnthropicUsageFields, type TokenUsage } from './token-usage';

/**
 * The events that carry model, usage or an error, and the fields read from each. Every
 * other event (the text deltas, which are nearly all of a stream) is skipped unread.
 * Events without an `event:` line are Chat Completions chunks.
 */
const FIELDS_BY_EVENT: ReadonlyMap<string | null, FieldSelection> = new Map<string | null, FieldSelection>([
  // Anthropic Messages
  ['message_start', new FieldSelection(['message.model', 'message.usage'])],
  ['message_delta', new FieldSelection(['usage'])],
  ['error', new FieldSelection(['error', 'code'])],
  // OpenAI Responses
  ['response.created', new FieldSelection(['response.model'])],
  ['response.completed', new FieldSelection(['response.model', 'response.usage', 'response.error'])],
  ['response.incomplete', new FieldSelection(['response.model', 'response.usage', 'response.error'])],
  ['response.failed', new FieldSelection(['response.model', 'response.usage', 'response.error'])],
  // OpenAI Chat Completions (no event names)
  [null, new FieldSelection(['model', 'usage', 'error'])],
]);

/**
 * Every event name the usage reader meets in a stream: the ones it reads, and the skipped
 * ones that make up most of a stream (Anthropic Messages streaming and OpenAI Responses
 * streaming event lists, API references).
 */
const EXPECTED_EVENT_NAMES = new SseEventNames([
  ...[...FIELDS_BY_EVENT.keys()].filter((name): name is string => name !== null),
  'ping',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_stop',
  'response.in_progress',
  'response.output_item.added',
  'response.output_item.done',
  'response.content_part.added',
  'response.content_part.done',
  'response.output_text.delta',
  'response.output_text.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.reasoning_summary_text.delta',
]);

/** A streamed answer: Anthropic `message_start` + `message_delta`, Chat Completions' usage chunk, Responses' `response.completed`. */
export class SseBodyUsage implements BodyUsageReader, SseEventHandler {
  private readonly events = new SseEventScanner(this, EXPECTED_EVENT_NAMES);
  private model: string | null = null;
  private anthropic: AnthropicUsageFields | null = null;
  private otherUsage: TokenUsage | null = null;
  private errorType: string | null = null;

  push(chunk: Buffer): void {
    this.events.push(chunk);
  }

  end(): void {
    this.events.end();
  }

  scannerFor(name: string | null): JsonFieldScanner | null {
    const fields = FIELDS_BY_EVENT.get(name);
    return fields ? new JsonFieldScanner(fields) : null;
  }

  eventEnded(name: string | null, scanner: JsonFieldScanner): void {
    const values = scanner.values;
    this.model ??= asText(values.get('message.model')) ?? asText(values.get('response.model')) ?? asText(values.get('model'));
    switch (name) {
      case 'message_start':
      case 'message_delta': {
        // message_delta counts are cumulative: they replace message_start's.
        const fields = anthropicUsageFields(values.get(name === 'message_start' ? 'message.usage' : 'usage'));
        if (fields) this.anthropic = { ...this.anthropic, ...fields };
        return;
      }
      case 'error':
        this.errorType ??= errorTypeOf(values.get('error'), values.get('code')) ?? 'error';
        return;
      case null: {
        const usage = values.get('usage');
        if (isJsonObject(usage)) this.otherUsage = fromAnyUsage(usage) ?? this.otherUsage;
        const error = values.get('error');
        if (error !== undefined && error !== null) this.errorType ??= errorTypeOf(error);
        return;
      }
      default: {
        const usage = values.get('response.usage');
        if (isJsonObject(usage)) this.otherUsage = fromResponsesUsage(usage) ?? this.otherUsage;
        const error = values.get('response.error');
        if (error !== undefined && error !== null) this.errorType ??= errorTypeOf(error);
        else if (name === 'response.failed') this.errorType ??= 'response_failed';
      }
    }
  }

  observation(): ResponseObservation {
    return {
      model: this.model,
      usage: (this.anthropic ? fromAnthropicUsage(this.anthropic) : null) ?? this.otherUsage,
      errorType: this.errorType,
    };
  }
}
