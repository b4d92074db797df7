import type { McpCallToolResult } from './tool-result-content';

/**
 * The tool calls of one warm session that wait for the caller.
 *
 * Two halves meet here by `tool_use` id: the caller's `tool_use` blocks (their response ended
 * with them; the caller will come back with results) and the CLI's MCP `tools/call`s (which carry
 * the id in `params._meta["claudecode/toolUseId"]`, capture `claude-code-mcp/*-smoke`). The CLI
 * may ask for the calls one after the other, only after the previous one was answered
 * (`*-par`), so results that arrive before their call are kept until it comes.
 */

/** A `tools/call` the CLI is waiting on. */
export interface ToolCall {
  toolUseId: string;
  /** Answers the CLI (writes the MCP response). */
  answer(result: McpCallToolResult): void;
}

export interface AwaitedToolUse {
  id: string;
  /** The caller's tool name. */
  name: string;
}

/** One line of `tokenpak status`: a tool call waiting for the caller. */
export interface PendingToolCallInfo {
  id: string;
  name: string;
  /** ms since the caller was handed the `tool_use`. */
  waitingMs: number;
  /** True once the CLI's `tools/call` for it has arrived. */
  called: boolean;
}

export class PendingToolCalls {
  private awaited: AwaitedToolUse[] = [];
  private awaitedSince = 0;
  private readonly calls = new Map<string, ToolCall>();
  private readonly results = new Map<string, McpCallToolResult>();
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param timeoutMs   how long the caller has to come back with results (`companion.toolResultTimeoutMs`)
   * @param onAbandoned called once when that time passes (the session is then ended by its owner)
   * @param now         clock in ms (tests)
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly onAbandoned: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while the caller owes results. */
  get waiting(): boolean {
    return this.awaited.length > 0;
  }

  /** The caller's response ended with these `tool_use` blocks; starts the abandon timer. */
  awaitResults(toolUses: readonly AwaitedToolUse[]): void {
    this.awaited = [...toolUses];
    this.awaitedSince = this.now();
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onAbandoned();
    }, this.timeoutMs);
    this.timer.unref();
  }

  /** A `tools/call` from the CLI: answered now if its result is known, else held. */
  call(call: ToolCall): void {
    const result = this.results.get(call.toolUseId);
    if (result) {
      this.results.delete(call.toolUseId);
      call.answer(result);
      return;
    }
    this.calls.set(call.toolUseId, call);
  }

  /** Whether `tool_result` ids (in any order) are exactly the ones the caller owes. */
  matches(toolUseIds: readonly string[]): boolean {
    if (toolUseIds.length !== this.awaited.length) return false;
    const owed = new Set(this.awaited.map((use) => use.id));
    return toolUseIds.every((id) => owed.delete(id)) && owed.size === 0;
  }

  /** Hands the caller's results to the CLI (now for calls already made, later for the rest). */
  deliver(results: ReadonlyMap<string, McpCallToolResult>): void {
    this.clearTimer();
    this.awaited = [];
    for (const [id, result] of results) {
      const call = this.calls.get(id);
      if (call) {
        this.calls.delete(id);
        call.answer(result);
      } else {
        this.results.set(id, result);
      }
    }
  }

  list(): PendingToolCallInfo[] {
    const waitingMs = this.now() - this.awaitedSince;
    return this.awaited.map((use) => ({ id: use.id, name: use.name, waitingMs, called: this.calls.has(use.id) }));
  }

  /** Forgets everything (the turn was interrupted or the session ended); the CLI's held calls are cancelled by the CLI itself. */
  clear(): void {
    this.clearTimer();
    this.awaited = [];
    this.calls.clear();
    this.results.clear();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
