import { FieldSelection, JsonFieldScanner } from './json-field-scanner';
import { asText, errorTypeOf, isJsonObject } from './response-observation';
import { fromResponsesUsage, type TokenUsage } from './token-usage';

/**
 * Responses API WebSocket mode (what Codex speaks on `GET …/responses` with
 * `openai-beta: responses_websockets=…`): one JSON event per text frame. The client sends
 * `{"type":"response.create","model":…, …}` (the HTTP body's fields beside `type`); the
 * server sends the same events as the HTTP SSE stream's `data:` lines (`response.created`,
 * deltas, then `response.completed|failed|incomplete`, or an `error` event).
 */

/** Any frame's `type`: the scan stops once it is found (it comes first in every event), so a delta costs a few bytes. */
const TYPE_FIELD = new FieldSelection(['type']);
/** Client frames: only the type and the model are read. */
const CLIENT_FIELDS = new FieldSelection(['type', 'model']);
/** Server frames: what the SSE reader (sse-body-usage.ts) reads from the same events. */
const SERVER_FIELDS = new FieldSelection(['type', 'response.model', 'response.usage', 'response.error', 'error', 'code']);

export const TURN_START = 'response.create';
/** Server events that end a turn. */
export const TURN_ENDS: ReadonlySet<string> = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);

export interface ClientEvent {
  type: string | null;
  model: string | null;
}

export interface ServerEvent {
  type: string | null;
  model: string | null;
  usage: TokenUsage | null;
  /** The same rules as the SSE reader: the response's or the event's error type, `response_failed` when a failed response names none. */
  errorType: string | null;
}

function scan(selection: FieldSelection, message: Buffer): ReadonlyMap<string, unknown> {
  const scanner = new JsonFieldScanner(selection);
  scanner.push(message);
  return scanner.values;
}

/** The event's `type`, or null (not JSON, no type). */
export function readEventType(message: Buffer): string | null {
  return asText(scan(TYPE_FIELD, message).get('type'));
}

/** Reads a client text frame; never throws (a frame that is not JSON reads as no type). */
export function readClientEvent(message: Buffer): ClientEvent {
  const values = scan(CLIENT_FIELDS, message);
  return { type: asText(values.get('type')), model: asText(values.get('model')) };
}

/** Reads a server text frame; usage only from `response.*` events, `input_tokens` including `cached_tokens` (token-usage.ts). */
export function readServerEvent(message: Buffer): ServerEvent {
  const values = scan(SERVER_FIELDS, message);
  const type = asText(values.get('type'));
  const usage = values.get('response.usage');
  let errorType: string | null = null;
  if (type === 'error') errorType = errorTypeOf(values.get('error'), values.get('code')) ?? 'error';
  else {
    const error = values.get('response.error');
    if (error !== undefined && error !== null) errorType = errorTypeOf(error);
    else if (type === 'response.failed') errorType = 'response_failed';
  }
  return {
    type,
    model: asText(values.get('response.model')),
    usage: type?.startsWith('response.') && isJsonObject(usage) ? fromResponsesUsage(usage) : null,
    errorType,
  };
}
