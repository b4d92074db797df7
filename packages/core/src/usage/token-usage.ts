/**
 * Token counts in one shape for every API. `inputTokens` is the *uncached* input, so the
 * four counts add up to everything the model read and wrote and each has its own price:
 * Anthropic reports it that way; OpenAI counts cached tokens inside its input total, so
 * they are taken out here.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** Prompt-cache writes, all lifetimes (Anthropic); OpenAI has no separate write charge. */
  cacheWriteTokens: number;
  /** The part of `cacheWriteTokens` written with the 1-hour lifetime (priced higher). */
  cacheWrite1hTokens: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined);

/** The Anthropic `usage` fields present in one block (message_start and message_delta each carry some). */
export interface AnthropicUsageFields {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  ephemeral_1h_input_tokens?: number;
}

export function anthropicUsageFields(value: unknown): AnthropicUsageFields | null {
  if (!isObject(value)) return null;
  const fields: AnthropicUsageFields = {};
  for (const key of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const) {
    const n = count(value[key]);
    if (n !== undefined) fields[key] = n;
  }
  const oneHour = isObject(value.cache_creation) ? count(value.cache_creation.ephemeral_1h_input_tokens) : undefined;
  if (oneHour !== undefined) fields.ephemeral_1h_input_tokens = oneHour;
  return Object.keys(fields).length > 0 ? fields : null;
}

/** Anthropic usage: fields of later blocks (message_delta counts are cumulative) replace earlier ones. */
export function fromAnthropicUsage(fields: AnthropicUsageFields): TokenUsage | null {
  if (fields.input_tokens === undefined && fields.output_tokens === undefined) return null;
  const cacheWrite = fields.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: fields.input_tokens ?? 0,
    outputTokens: fields.output_tokens ?? 0,
    cacheReadTokens: fields.cache_read_input_tokens ?? 0,
    cacheWriteTokens: cacheWrite,
    cacheWrite1hTokens: Math.min(cacheWrite, fields.ephemeral_1h_input_tokens ?? 0),
  };
}

/** OpenAI's usage shape: the prompt count includes the cached tokens its details block lists. */
function openAiUsage(promptTokens: unknown, outputTokens: unknown, details: unknown): TokenUsage | null {
  const prompt = count(promptTokens);
  const output = count(outputTokens);
  if (prompt === undefined && output === undefined) return null;
  const cached = Math.min(prompt ?? 0, (isObject(details) ? count(details.cached_tokens) : undefined) ?? 0);
  return { inputTokens: (prompt ?? 0) - cached, outputTokens: output ?? 0, cacheReadTokens: cached, cacheWriteTokens: 0, cacheWrite1hTokens: 0 };
}

/** Chat Completions `usage`: `prompt_tokens` includes `prompt_tokens_details.cached_tokens`. */
export function fromChatUsage(value: Json): TokenUsage | null {
  return openAiUsage(value.prompt_tokens, value.completion_tokens, value.prompt_tokens_details);
}

/** Responses API `usage`: `input_tokens` includes `input_tokens_details.cached_tokens`; output includes reasoning. */
export function fromResponsesUsage(value: Json): TokenUsage | null {
  return openAiUsage(value.input_tokens, value.output_tokens, value.input_tokens_details);
}

/**
 * A top-level `usage` of unknown origin, told apart by its fields: `prompt_tokens` is
 * Chat Completions, `input_tokens_details` is Responses, anything else with
 * `input_tokens` reads as Anthropic (a Responses block without details means the same).
 */
export function fromAnyUsage(value: unknown): TokenUsage | null {
  if (!isObject(value)) return null;
  if ('prompt_tokens' in value || 'completion_tokens' in value) return fromChatUsage(value);
  if ('input_tokens_details' in value || 'output_tokens_details' in value) return fromResponsesUsage(value);
  const fields = anthropicUsageFields(value);
  return fields ? fromAnthropicUsage(fields) : null;
}

export function addUsage(a: TokenUsage | null, b: TokenUsage | null): TokenUsage | null {
  if (!a) return b;
  if (!b) return a;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
  };
}
