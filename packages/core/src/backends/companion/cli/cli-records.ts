/**
 * The records the `claude` CLI prints (see `test/fixtures/captures/claude-code/`):
 * `--output-format json` prints one `result` record; `stream-json --verbose` prints NDJSON
 * `system` / `assistant` / `user` / `result` records, plus one `stream_event` per raw API
 * SSE event with `--include-partial-messages`. Only the fields TokenPak reads are typed;
 * each is checked, since this is another program's output.
 */

export interface CliUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: Record<string, unknown>;
  server_tool_use?: Record<string, unknown>;
  service_tier?: string;
}

export interface CliResultRecord {
  type: 'result';
  subtype: string;
  is_error: boolean;
  /** The answer text, or the error message when `is_error`. */
  result: string | null;
  session_id: string | null;
  stop_reason: string | null;
  usage: CliUsage;
  /** Usage per model the run used (keys may carry a context-window suffix like `[1m]`). */
  modelUsage: Record<string, { outputTokens?: number }>;
  api_error_status: number | null;
  uuid: string | null;
  /** Error subtypes (`error_during_execution`, …) carry messages here instead of in `result`. */
  errors: string[];
}

/** A raw Anthropic streaming event (`message_start`, `content_block_delta`, …). */
export interface AnthropicStreamEvent {
  type: string;
  index?: number;
  [field: string]: unknown;
}

export interface CliStreamEventRecord {
  type: 'stream_event';
  event: AnthropicStreamEvent;
  /** Non-null for a sub-agent's events (the CLI's Task tool), which are not part of the answer. */
  parent_tool_use_id: string | null;
}

export interface CliSystemRecord {
  type: 'system';
  subtype: string;
  session_id: string | null;
}

export type CliRecord = CliResultRecord | CliStreamEventRecord | CliSystemRecord | { type: 'other' };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function usage(value: unknown): CliUsage {
  if (!isObject(value)) return {};
  const out: CliUsage = {};
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const count = value[key];
    if (typeof count === 'number' && Number.isFinite(count) && count >= 0) out[key] = count;
  }
  if (isObject(value.cache_creation)) out.cache_creation = value.cache_creation;
  if (isObject(value.server_tool_use)) out.server_tool_use = value.server_tool_use;
  if (typeof value.service_tier === 'string') out.service_tier = value.service_tier;
  return out;
}

function resultRecord(value: Json): CliResultRecord {
  const modelUsage: CliResultRecord['modelUsage'] = {};
  if (isObject(value.modelUsage)) {
    for (const [model, entry] of Object.entries(value.modelUsage)) {
      modelUsage[model] = isObject(entry) && typeof entry.outputTokens === 'number' ? { outputTokens: entry.outputTokens } : {};
    }
  }
  return {
    type: 'result',
    subtype: str(value.subtype) ?? '',
    is_error: value.is_error === true,
    result: str(value.result),
    session_id: str(value.session_id),
    stop_reason: str(value.stop_reason),
    usage: usage(value.usage),
    modelUsage,
    api_error_status: typeof value.api_error_status === 'number' ? value.api_error_status : null,
    uuid: str(value.uuid),
    errors: Array.isArray(value.errors) ? value.errors.filter((item): item is string => typeof item === 'string') : [],
  };
}

/** One parsed NDJSON value as a record; null when it is not a CLI record at all. */
export function toCliRecord(value: unknown): CliRecord | null {
  if (!isObject(value) || typeof value.type !== 'string') return null;
  switch (value.type) {
    case 'result':
      return resultRecord(value);
    case 'stream_event':
      if (!isObject(value.event) || typeof value.event.type !== 'string') return null;
      return { type: 'stream_event', event: value.event as AnthropicStreamEvent, parent_tool_use_id: str(value.parent_tool_use_id) };
    case 'system':
      return { type: 'system', subtype: str(value.subtype) ?? '', session_id: str(value.session_id) };
    default:
      return { type: 'other' };
  }
}

/** One NDJSON line; null for a blank or unparsable line. */
export function parseCliLine(line: string): CliRecord | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed[0] !== '{') return null;
  try {
    return toCliRecord(JSON.parse(trimmed));
  } catch {
    return null;
  }
}

/**
 * The result record of `--output-format json` output: one JSON document (printed on one
 * line or pretty-printed), or, from CLIs that print the whole transcript, an array or
 * NDJSON ending in the result record.
 */
export function parseJsonOutput(stdout: string): CliResultRecord | null {
  const text = stdout.trim();
  if (text === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    const candidates = Array.isArray(value) ? value : [value];
    for (let i = candidates.length - 1; i >= 0; i--) {
      const record = toCliRecord(candidates[i]);
      if (record?.type === 'result') return record;
    }
    return null;
  } catch {
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const record = parseCliLine(lines[i]!);
      if (record?.type === 'result') return record;
    }
    return null;
  }
}

/** The human-readable message of an error result. */
export function resultErrorMessage(result: CliResultRecord): string {
  const message = result.result?.trim() || result.errors.join('; ').trim();
  return message || `the CLI reported an error (${result.subtype || 'no details'})`;
}
