import type { TokenUsage } from './token-usage';

/** What a response said about itself: all optional, since an unparsable answer is recorded, not rejected. */
export interface ResponseObservation {
  /** The model the response names (the request's model is preferred when known). */
  model: string | null;
  usage: TokenUsage | null;
  /** The API's error type (`rate_limit_error`, `overloaded_error`, a Responses `code`), from an error body or event. */
  errorType: string | null;
}

/** Reads one response body as it streams by. */
export interface BodyUsageReader {
  push(chunk: Buffer): void;
  /** The body is complete. */
  end(): void;
  observation(): ResponseObservation;
}

type Json = Record<string, unknown>;
export const isJsonObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
export const asText = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : null);

/** `{"error":{"type":…}}` (Anthropic, OpenAI) or `{"error":{"code":…}}`; a bare string code (Responses error events). */
export function errorTypeOf(error: unknown, code?: unknown): string | null {
  if (isJsonObject(error)) return asText(error.type) ?? asText(error.code) ?? 'error';
  return asText(code);
}
