import type { ToolResultBlock } from '../messages/messages-request';

/**
 * A caller's `tool_result` block → the MCP `tools/call` result the CLI turns back into a
 * `tool_result` for the model (captures `claude-code-mcp/*-smoke`, `*-toolerr`: MCP `content`
 * becomes the block's content, `isError: true` becomes `is_error: true`).
 *
 * Mapping: `text` → MCP text; base64 `image` → MCP image (`data`, `mimeType`); an image by URL
 * and documents (which MCP tool results cannot carry as such) → a text line naming what was
 * sent, plus the document's text when it is a plain-text document.
 */

export type McpContent = { type: 'text'; text: string } | { type: 'image'; data: string; mimeType: string };

/** MCP `CallToolResult` (spec 2025-06-18). */
export interface McpCallToolResult {
  content: McpContent[];
  isError?: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

function mediaContent(block: Json): McpContent {
  const source = isObject(block.source) ? block.source : {};
  if (block.type === 'image' && source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') {
    return { type: 'image', data: source.data, mimeType: source.media_type };
  }
  if (block.type === 'image' && source.type === 'url' && typeof source.url === 'string') {
    return { type: 'text', text: `[image: ${source.url}]` };
  }
  if (block.type === 'document' && source.type === 'text' && typeof source.data === 'string') {
    return { type: 'text', text: source.data };
  }
  const title = typeof block.title === 'string' ? ` "${block.title}"` : '';
  return { type: 'text', text: `[${String(block.type)}${title} (${String(source.type ?? 'unknown')} source) not passable through an MCP tool result]` };
}

export function toMcpResult(block: ToolResultBlock): McpCallToolResult {
  const content = block.content.map((item): McpContent => (item.type === 'text' ? { type: 'text', text: item.text } : mediaContent(item as unknown as Json)));
  return block.is_error ? { content, isError: true } : { content };
}
