import { randomUUID } from 'node:crypto';
import type { CliResultRecord } from '../cli/cli-records';
import type { TextBlock } from './messages-request';

/** Messages API `usage`, from the CLI's own accounting (real numbers, not estimates). */
export interface MessageUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation?: Record<string, unknown>;
  server_tool_use?: Record<string, unknown>;
  service_tier?: string;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

/** A Messages API response body (`type: "message"`). */
export interface MessagesResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: TextBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: MessageUsage;
}

const PASSED_STOP_REASONS: ReadonlySet<string> = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'pause_turn', 'refusal', 'model_context_window_exceeded']);

export function usageFromResult(result: CliResultRecord): MessageUsage {
  const { usage } = result;
  return {
    input_tokens: usage.input_tokens ?? 0,
    output_tokens: usage.output_tokens ?? 0,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
    ...(usage.cache_creation ? { cache_creation: usage.cache_creation } : {}),
    ...(usage.server_tool_use ? { server_tool_use: usage.server_tool_use } : {}),
    ...(usage.service_tier ? { service_tier: usage.service_tier } : {}),
  };
}

/**
 * The model that answered, per the CLI's `modelUsage` (keys may carry a context-window
 * suffix such as `claude-opus-4-8[1m]`, which is not part of an API model id). The
 * requested model wins when it was used; otherwise the one that wrote the most.
 */
export function modelFromResult(result: CliResultRecord, requested: string | null): string {
  const used = Object.entries(result.modelUsage).map(([key, entry]) => ({ model: key.replace(/\[[^\]]*\]$/, ''), output: entry.outputTokens ?? 0 }));
  if (requested && used.some((entry) => entry.model === requested)) return requested;
  used.sort((a, b) => b.output - a.output);
  return used[0]?.model ?? requested ?? 'claude';
}

/** The CLI's final stop reason. Its internal tool loop is not the caller's, so `tool_use` (never returned) reads as `end_turn`. */
export function stopReasonFrom(value: string | null | undefined): StopReason {
  return value && PASSED_STOP_REASONS.has(value) ? (value as StopReason) : 'end_turn';
}

export function messageIdFor(result: CliResultRecord): string {
  return `msg_${(result.uuid ?? randomUUID()).replace(/[^A-Za-z0-9]/g, '')}`;
}

/** A non-streaming Messages API answer from the CLI's result record. */
export function messageFromResult(result: CliResultRecord, requestedModel: string | null): MessagesResponse {
  const text = result.result ?? '';
  return {
    id: messageIdFor(result),
    type: 'message',
    role: 'assistant',
    model: modelFromResult(result, requestedModel),
    content: text.length > 0 ? [{ type: 'text', text }] : [],
    stop_reason: stopReasonFrom(result.stop_reason),
    stop_sequence: null,
    usage: usageFromResult(result),
  };
}
