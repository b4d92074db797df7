/**
 * The part of an Anthropic Messages request the companion serves, validated once.
 * Anything the `claude` CLI cannot carry is refused here with a 400 that says what and
 * where; nothing is dropped without the caller being able to see it.
 */

export interface TextBlock {
  type: 'text';
  text: string;
}

/** An image or document block. Passed to the CLI as-is (it takes Anthropic content blocks on stream-json input). */
export interface MediaBlock {
  type: 'image' | 'document';
  source: Record<string, unknown>;
  [field: string]: unknown;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  is_error: boolean;
  content: Array<TextBlock | MediaBlock>;
}

/** Prior-turn reasoning. The API itself does not feed earlier turns' thinking back to the model. */
export interface ThinkingBlock {
  type: 'thinking' | 'redacted_thinking';
}

export type ContentBlock = TextBlock | MediaBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock;

export type Role = 'user' | 'assistant';

export interface ConversationMessage {
  role: Role;
  content: ContentBlock[];
}

export interface CompanionRequest {
  /** `--model`; null when the request names none (the CLI's default applies). */
  model: string | null;
  stream: boolean;
  /** The system prompt's text blocks joined, or null. */
  system: string | null;
  messages: ConversationMessage[];
  /** Request fields present that the CLI has no way to honour (reported in a response header). */
  unhonoured: string[];
}

export type ParsedRequest = { ok: true; request: CompanionRequest } | { ok: false; message: string };

/**
 * Model names go into argv (the only body value that does): a strict character set, and
 * never a leading `-`, so a crafted name cannot become a CLI option.
 */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]{0,199}$/;

/** Fields the CLI decides for itself; present ones are listed back to the caller, not silently ignored. */
const UNHONOURED_FIELDS = ['max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'thinking', 'tools', 'tool_choice', 'service_tier'];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

class InvalidRequest extends Error {}

function fail(message: string): never {
  throw new InvalidRequest(message);
}

function textBlock(value: Json, where: string): TextBlock {
  if (typeof value.text !== 'string') fail(`${where}.text must be a string`);
  return { type: 'text', text: value.text };
}

function mediaBlock(value: Json, where: string): MediaBlock {
  if (!isObject(value.source)) fail(`${where}.source must be an object`);
  // cache_control is dropped on purpose: the CLI sets its own cache breakpoints, and the
  // API rejects a request with more than four.
  const { cache_control: _cacheControl, ...rest } = value;
  return { ...rest, type: value.type as MediaBlock['type'], source: value.source };
}

function toolResultContent(value: unknown, where: string): Array<TextBlock | MediaBlock> {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (!Array.isArray(value)) fail(`${where} must be a string or an array of content blocks`);
  return value.map((item, index) => {
    const at = `${where}[${index}]`;
    if (!isObject(item) || typeof item.type !== 'string') fail(`${at} must be a content block with a "type"`);
    if (item.type === 'text') return textBlock(item, at);
    if (item.type === 'image' || item.type === 'document') return mediaBlock(item, at);
    return fail(`${at}: a "${item.type}" block inside a tool_result cannot be passed to the claude CLI`);
  });
}

function contentBlock(value: unknown, role: Role, where: string): ContentBlock {
  if (!isObject(value) || typeof value.type !== 'string') fail(`${where} must be a content block with a "type"`);
  switch (value.type) {
    case 'text':
      return textBlock(value, where);
    case 'image':
    case 'document':
      return mediaBlock(value, where);
    case 'tool_use':
      if (typeof value.id !== 'string' || typeof value.name !== 'string') fail(`${where} needs string "id" and "name"`);
      return { type: 'tool_use', id: value.id, name: value.name, input: value.input ?? {} };
    case 'tool_result':
      if (typeof value.tool_use_id !== 'string') fail(`${where}.tool_use_id must be a string`);
      return {
        type: 'tool_result',
        tool_use_id: value.tool_use_id,
        is_error: value.is_error === true,
        content: toolResultContent(value.content, `${where}.content`),
      };
    case 'thinking':
    case 'redacted_thinking':
      if (role !== 'assistant') fail(`${where}: "${value.type}" blocks belong to assistant turns`);
      return { type: value.type };
    default:
      return fail(
        `${where}: content blocks of type "${value.type}" cannot be passed to the claude CLI (supported: text, image, document, tool_use, tool_result, thinking)`,
      );
  }
}

function message(value: unknown, where: string): ConversationMessage {
  if (!isObject(value)) fail(`${where} must be an object`);
  const role = value.role;
  if (role !== 'user' && role !== 'assistant') fail(`${where}.role must be "user" or "assistant"`);
  const { content } = value;
  if (typeof content === 'string') return { role, content: [{ type: 'text', text: content }] };
  if (!Array.isArray(content)) fail(`${where}.content must be a string or an array of content blocks`);
  return { role, content: content.map((block, index) => contentBlock(block, role, `${where}.content[${index}]`)) };
}

function systemPrompt(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (!Array.isArray(value)) fail('system must be a string or an array of text blocks');
  const texts = value.map((block, index) => {
    if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') fail(`system[${index}] must be a text block`);
    return block.text;
  });
  const joined = texts.join('\n\n');
  return joined.length > 0 ? joined : null;
}

function toolChoiceProblem(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) return 'tool_choice must be an object';
  if (value.type === 'any' || value.type === 'tool') {
    return `tool_choice "${value.type}" forces a call to one of the request's tools, which the claude CLI cannot make; use "auto" or send this request with an API key`;
  }
  return null;
}

/** Validates a `/v1/messages` body for the companion. */
export function parseMessagesRequest(body: unknown): ParsedRequest {
  try {
    if (!isObject(body)) fail('the request body must be a JSON object');
    const { model, stream, messages } = body;
    if (model !== undefined && model !== null && (typeof model !== 'string' || !MODEL_NAME.test(model))) {
      fail('model must be a model name such as "claude-sonnet-4-5"');
    }
    if (stream !== undefined && typeof stream !== 'boolean') fail('stream must be a boolean');
    if (!Array.isArray(messages) || messages.length === 0) fail('messages must be a non-empty array');
    const parsed = messages.map((item, index) => message(item, `messages[${index}]`));
    if (parsed[parsed.length - 1]!.role !== 'user') {
      fail('the last message must be a user turn: the claude CLI cannot continue a prefilled assistant turn');
    }
    // With tools, tool_choice is the tool path's business (tools/caller-tools.ts).
    const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
    const choiceProblem = hasTools ? null : toolChoiceProblem(body.tool_choice);
    if (choiceProblem) fail(choiceProblem);
    return {
      ok: true,
      request: {
        model: typeof model === 'string' ? model : null,
        stream: stream === true,
        system: systemPrompt(body.system),
        messages: parsed,
        unhonoured: UNHONOURED_FIELDS.filter((field) => body[field] !== undefined && body[field] !== null),
      },
    };
  } catch (error) {
    if (error instanceof InvalidRequest) return { ok: false, message: error.message };
    throw error;
  }
}
