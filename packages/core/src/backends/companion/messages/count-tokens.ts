import { imageDimensions } from './image-dimensions';

/**
 * A local estimate for `/v1/messages/count_tokens` on companion traffic: running the CLI
 * to count would cost a model call. It counts what the request carries (system prompt,
 * turns, tools, media); the CLI adds its own system prompt on top when it runs, which
 * the Messages API's count could not know either.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Roughly 3.7 characters per token for English and code; scripts outside ASCII take more tokens per character. */
const ASCII_CHARS_PER_TOKEN = 3.7;
const OTHER_CHARS_PER_TOKEN = 1.5;
const MESSAGE_OVERHEAD = 3;
const REQUEST_OVERHEAD = 3;
/** The tool-use system prompt the API adds when tools are present. */
const TOOLS_OVERHEAD = 350;
/** The API scales images to at most ~1.15 megapixels: ~1600 tokens; also the guess when the size is unknown. */
const MAX_IMAGE_TOKENS = 1600;
const PIXELS_PER_TOKEN = 750;
const LONG_EDGE = 1568;
/** A PDF page costs its text plus an image of the page. */
const PDF_PAGE_TOKENS = 1800;

function textTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / ASCII_CHARS_PER_TOKEN + other / OTHER_CHARS_PER_TOKEN);
}

function imageTokens(source: unknown): number {
  if (!isObject(source) || source.type !== 'base64' || typeof source.data !== 'string') return MAX_IMAGE_TOKENS;
  // The header is near the start; JPEG frame headers can sit after large metadata segments.
  const size = imageDimensions(Buffer.from(source.data.slice(0, 256 * 1024), 'base64'));
  if (!size || size.width === 0 || size.height === 0) return MAX_IMAGE_TOKENS;
  const scale = Math.min(1, LONG_EDGE / Math.max(size.width, size.height));
  return Math.min(MAX_IMAGE_TOKENS, Math.ceil((size.width * scale * size.height * scale) / PIXELS_PER_TOKEN));
}

function documentTokens(source: unknown): number {
  if (!isObject(source)) return PDF_PAGE_TOKENS;
  if (source.type === 'text' && typeof source.data === 'string') return textTokens(source.data);
  if (source.type === 'content' && Array.isArray(source.content)) return contentTokens(source.content);
  if (source.type === 'base64' && typeof source.data === 'string') {
    const pages =
      Buffer.from(source.data, 'base64')
        .toString('latin1')
        .match(/\/Type\s*\/Page\b/g)?.length ?? 1;
    return pages * PDF_PAGE_TOKENS;
  }
  return PDF_PAGE_TOKENS;
}

function blockTokens(block: unknown): number {
  if (typeof block === 'string') return textTokens(block);
  if (!isObject(block)) return 0;
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? textTokens(block.text) : 0;
    case 'image':
      return imageTokens(block.source);
    case 'document':
      return documentTokens(block.source);
    case 'tool_use':
      return textTokens(`${String(block.name)}${JSON.stringify(block.input ?? {})}`);
    case 'tool_result':
      return contentTokens(block.content);
    default:
      // Earlier thinking is not counted by the API; unknown blocks by their JSON size.
      return block.type === 'thinking' || block.type === 'redacted_thinking' ? 0 : textTokens(JSON.stringify(block));
  }
}

function contentTokens(content: unknown): number {
  if (typeof content === 'string') return textTokens(content);
  if (!Array.isArray(content)) return 0;
  return content.reduce<number>((sum, block) => sum + blockTokens(block), 0);
}

/** Validates the shape count_tokens needs; null when fine. */
export function countTokensProblem(body: unknown): string | null {
  if (!isObject(body)) return 'the request body must be a JSON object';
  if (!Array.isArray(body.messages)) return 'messages must be an array';
  for (const [index, message] of body.messages.entries()) {
    if (!isObject(message) || (message.role !== 'user' && message.role !== 'assistant')) return `messages[${index}] must have role "user" or "assistant"`;
  }
  return null;
}

/** `{"input_tokens": n}` for a body that passed `countTokensProblem`. */
export function estimateInputTokens(body: Json): number {
  let total = REQUEST_OVERHEAD + contentTokens(body.system);
  for (const message of body.messages as Json[]) total += MESSAGE_OVERHEAD + contentTokens(message.content);
  if (Array.isArray(body.tools) && body.tools.length > 0) total += TOOLS_OVERHEAD + textTokens(JSON.stringify(body.tools));
  return total;
}
