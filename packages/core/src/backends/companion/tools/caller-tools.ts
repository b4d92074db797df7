/**
 * The request's `tools` / `tool_choice` as the companion can serve them over MCP.
 *
 * Source: Messages API reference (`tools[]`: `name`, `description?`, `input_schema`;
 * `tool_choice`: `{type: "auto"|"any"|"tool"|"none", name?, disable_parallel_tool_use?}`).
 * Custom tools (no `type`, or `type: "custom"`) are served; Anthropic server tools
 * (`web_search_20250305`, `bash_20250124`, …) have no caller-side executor to hand a call to,
 * so they are not offered and are listed back as ignored.
 */

/** MCP tool result size the CLI accepts before it writes the result to a file (capture README: ≤ 500,000). */
export const MAX_RESULT_SIZE_CHARS = 500_000;

export interface CallerTool {
  name: string;
  description: string;
  /** JSON Schema, passed through unchanged. */
  inputSchema: Record<string, unknown>;
}

/** How the CLI is asked to treat the tools (see README "Tools through the companion"). */
export type ToolChoiceMode =
  /** The model decides (`auto`, or no `tool_choice`). */
  | { type: 'auto' }
  /** `none`: the tools are not offered to the CLI for this turn. */
  | { type: 'none' }
  /** `any` / `tool`: cannot be forced through the CLI; asked for in the system prompt and listed as ignored. */
  | { type: 'any' }
  | { type: 'tool'; name: string };

export interface CallerTools {
  tools: CallerTool[];
  choice: ToolChoiceMode;
  /** Request fields (or parts) the CLI cannot honour, for `x-tokenpak-companion-ignored`. */
  ignored: string[];
  /** Text appended to the system prompt for `any`/`tool` (null otherwise). */
  choiceInstruction: string | null;
}

export type ParsedTools = { ok: true; tools: CallerTools } | { ok: false; message: string };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads `tools` and `tool_choice` from a Messages request body. Errors are 400 messages naming the field. */
export function parseCallerTools(body: Json): ParsedTools {
  const ignored: string[] = [];
  const tools: CallerTool[] = [];
  const raw = body.tools;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) return { ok: false, message: 'tools must be an array' };
    const seen = new Set<string>();
    for (const [index, tool] of raw.entries()) {
      const at = `tools[${index}]`;
      if (!isObject(tool)) return { ok: false, message: `${at} must be an object` };
      if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
        ignored.push(`${at} (${String(tool.type)})`);
        continue;
      }
      if (typeof tool.name !== 'string' || tool.name.length === 0) return { ok: false, message: `${at}.name must be a non-empty string` };
      if (seen.has(tool.name)) return { ok: false, message: `${at}.name "${tool.name}" is not unique` };
      seen.add(tool.name);
      if (!isObject(tool.input_schema)) return { ok: false, message: `${at}.input_schema must be an object` };
      if (tool.description !== undefined && typeof tool.description !== 'string') return { ok: false, message: `${at}.description must be a string` };
      tools.push({ name: tool.name, description: typeof tool.description === 'string' ? tool.description : '', inputSchema: tool.input_schema });
    }
  }

  let choice: ToolChoiceMode = { type: 'auto' };
  let choiceInstruction: string | null = null;
  const rawChoice = body.tool_choice;
  if (rawChoice !== undefined && rawChoice !== null) {
    if (!isObject(rawChoice)) return { ok: false, message: 'tool_choice must be an object' };
    switch (rawChoice.type) {
      case 'auto':
        break;
      case 'none':
        choice = { type: 'none' };
        break;
      case 'any':
        choice = { type: 'any' };
        choiceInstruction = 'You must answer this turn by calling one of the available tools.';
        ignored.push('tool_choice.any (asked for in the system prompt; the CLI cannot force a tool call)');
        break;
      case 'tool': {
        if (typeof rawChoice.name !== 'string') return { ok: false, message: 'tool_choice.name must be a string when tool_choice.type is "tool"' };
        if (!tools.some((tool) => tool.name === rawChoice.name))
          return { ok: false, message: `tool_choice.name "${rawChoice.name}" is not one of the request's tools` };
        choice = { type: 'tool', name: rawChoice.name };
        choiceInstruction = `You must answer this turn by calling the tool "${rawChoice.name}".`;
        ignored.push('tool_choice.tool (asked for in the system prompt; the CLI cannot force a tool call)');
        break;
      }
      default:
        return { ok: false, message: 'tool_choice.type must be one of "auto", "any", "tool", "none"' };
    }
    if (rawChoice.disable_parallel_tool_use === true) ignored.push('tool_choice.disable_parallel_tool_use');
  }
  return { ok: true, tools: { tools, choice, ignored, choiceInstruction } };
}

/** An MCP `tools/list` entry for a caller tool (MCP spec 2025-06-18 `Tool`). */
export interface McpToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  _meta: { 'anthropic/maxResultSizeChars': number };
}

export function mcpToolDefinition(tool: CallerTool, mcpName: string): McpToolDefinition {
  return {
    name: mcpName,
    description: tool.description,
    inputSchema: tool.inputSchema,
    // Without this the CLI swaps results over ~50,000 characters for a file pointer.
    _meta: { 'anthropic/maxResultSizeChars': MAX_RESULT_SIZE_CHARS },
  };
}
