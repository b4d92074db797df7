/**
 * Caller tool names ⇄ the names the `claude` CLI's MCP client uses.
 *
 * Source: captures `claude-code-mcp/*-names` (CLI 2.1.197 / 2.1.332). The CLI shows the model
 * an MCP tool as `mcp__<server>__<name>` (or as `<name>` alone when the in-band SDK server runs
 * with `CLAUDE_AGENT_SDK_MCP_NO_PREFIX=1`), after replacing every character outside
 * `[A-Za-z0-9_-]` with `_`. Two caller names that sanitise alike would become one model tool,
 * so later ones get a `_2`, `_3`… suffix: the map stays reversible and collision-free.
 */

/** Characters the CLI keeps in an MCP tool name; anything else becomes `_`. */
const UNSAFE = /[^A-Za-z0-9_-]/g;

export interface ToolNameEntry {
  /** The tool's name in the caller's request (and in the `tool_use` blocks the caller gets). */
  caller: string;
  /** The name TokenPak's MCP server lists (and receives in `tools/call` `params.name`). */
  mcp: string;
}

export class ToolNameMap {
  private readonly byCaller = new Map<string, string>();
  private readonly byMcp = new Map<string, string>();

  /**
   * @param callerNames the request's tool names, in request order (duplicates are the caller's error and keep their first mapping)
   * @param serverName  the MCP server name the CLI prefixes with (`mcp__<server>__`)
   */
  constructor(
    callerNames: readonly string[],
    readonly serverName: string,
  ) {
    for (const caller of callerNames) {
      if (this.byCaller.has(caller)) continue;
      const base = caller.replace(UNSAFE, '_') || '_';
      let mcp = base;
      for (let n = 2; this.byMcp.has(mcp); n++) mcp = `${base}_${n}`;
      this.byCaller.set(caller, mcp);
      this.byMcp.set(mcp, caller);
    }
  }

  get entries(): ToolNameEntry[] {
    return [...this.byCaller].map(([caller, mcp]) => ({ caller, mcp }));
  }

  mcpName(caller: string): string | null {
    return this.byCaller.get(caller) ?? null;
  }

  /** The caller's name for an MCP `tools/call` `params.name`. */
  callerFromMcp(mcp: string): string | null {
    return this.byMcp.get(mcp) ?? null;
  }

  /**
   * The caller's name for a `tool_use` block on the CLI's stdout, which carries the
   * model-visible name: prefixed (`mcp__<server>__<mcp>`) or, without the prefix, the MCP name.
   * Null for a tool that is not the caller's (a CLI built-in).
   */
  callerFromModel(modelName: string): string | null {
    const prefix = `mcp__${this.serverName}__`;
    if (modelName.startsWith(prefix)) {
      const caller = this.byMcp.get(modelName.slice(prefix.length));
      if (caller !== undefined) return caller;
    }
    return this.byMcp.get(modelName) ?? null;
  }
}
