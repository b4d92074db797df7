import type { CliRecord } from '../cli/cli-records';
import type { ConversationMessage, ToolResultBlock } from '../messages/messages-request';
import type { SseSink } from '../messages/stream-json-to-sse';
import { mcpToolDefinition, type CallerTool } from './caller-tools';
import { InBandMcpServer } from './in-band-mcp-server';
import { PendingToolCalls, type PendingToolCallInfo } from './pending-tool-calls';
import { toMcpResult, type McpCallToolResult } from './tool-result-content';
import { ToolNameMap } from './tool-names';
import { ToolTurnStream, type SegmentEnd, type Usage } from './tool-turn-stream';

/**
 * The caller's tools on one warm `claude` process: what to add to its argv and environment,
 * the in-band MCP server on its stdin/stdout, the pending calls, and the turn cut into caller
 * responses. The owner (the warm session) spawns the process, writes/reads lines, and ends
 * the process when `onAbandoned` fires or a request does not continue the pending state.
 */

/** The MCP server name the CLI sees (model-visible names are the caller's own with `CLAUDE_AGENT_SDK_MCP_NO_PREFIX=1`). */
export const TOOL_SERVER_NAME = 'tokenpak';

export interface ToolSessionOptions {
  tools: readonly CallerTool[];
  /** `companion.toolResultTimeoutMs`: how long a caller may take to send results. */
  toolResultTimeoutMs: number;
  /** Writes one line (no newline) to the CLI's stdin. */
  write(line: string): void;
  /** The caller did not come back in time: the owner ends the process. */
  onAbandoned(): void;
}

/** How a request relates to the session's pending tool calls. */
export type Continuation = { kind: 'results'; results: Map<string, McpCallToolResult> } | { kind: 'mismatch' } | { kind: 'none' };

/** A segment's end, with what the caller will echo back (for the session fingerprint) and the model call's usage. */
export type SegmentDone = SegmentEnd & { answer: ConversationMessage; usage: Usage };

export class ToolSession {
  readonly names: ToolNameMap;
  private readonly server: InBandMcpServer;
  private readonly pending: PendingToolCalls;
  private readonly stream: ToolTurnStream;

  constructor(private readonly options: ToolSessionOptions) {
    this.names = new ToolNameMap(
      options.tools.map((tool) => tool.name),
      TOOL_SERVER_NAME,
    );
    this.pending = new PendingToolCalls(options.toolResultTimeoutMs, options.onAbandoned);
    this.server = new InBandMcpServer({
      serverName: TOOL_SERVER_NAME,
      tools: options.tools.map((tool) => mcpToolDefinition(tool, this.names.mcpName(tool.name)!)),
      write: options.write,
      onToolCall: (call) => this.pending.call({ toolUseId: call.toolUseId, answer: call.answer }),
    });
    this.stream = new ToolTurnStream(this.names);
  }

  /**
   * argv additions: no built-in tools, only the MCP servers TokenPak declares, and the
   * caller's tools allowed so print mode never stops at a permission prompt
   * (permission-bypass flags are refused as root; capture README).
   */
  static cliArguments(tools: readonly CallerTool[]): string[] {
    const names = new ToolNameMap(
      tools.map((tool) => tool.name),
      TOOL_SERVER_NAME,
    );
    const allowed = [`mcp__${TOOL_SERVER_NAME}`, ...names.entries.map((entry) => entry.mcp)];
    return ['--tools', '', '--strict-mcp-config', '--allowedTools', allowed.join(',')];
  }

  /**
   * Environment additions. `CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT=0` keeps a held call alive past
   * the CLI's 300 s idle limit (the in-band transport has no progress channel TokenPak uses);
   * `MCP_TOOL_TIMEOUT` is set past `toolResultTimeoutMs` so TokenPak's own limit decides.
   */
  static environment(toolResultTimeoutMs: number): Record<string, string> {
    return {
      CLAUDE_AGENT_SDK_MCP_NO_PREFIX: '1',
      CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT: '0',
      MCP_TOOL_TIMEOUT: String(toolResultTimeoutMs + 60_000),
    };
  }

  /** First stdin line, before any user line: declares the in-band MCP server. */
  initializeLine(): string {
    return this.server.initializeLine();
  }

  /** True while the caller owes tool results. */
  get waitingForResults(): boolean {
    return this.pending.waiting;
  }

  pendingCalls(): PendingToolCallInfo[] {
    return this.pending.list();
  }

  /**
   * Every stdout line's parsed JSON and its CLI record. Control traffic is answered here;
   * the rest feeds the caller's response.
   */
  takeStdout(json: unknown, record: CliRecord | null): void {
    if (this.server.handle(json)) return;
    if (record) this.stream.push(record);
  }

  /** Starts a turn: writes the user line and sends the turn's events to `sink` until it ends. */
  startTurn(userLine: string, sink: SseSink, onDone: (done: SegmentDone) => void): void {
    this.attach(sink, onDone);
    this.options.write(userLine);
  }

  /**
   * Classifies a request's last user message against the pending calls: its `tool_result`
   * ids are exactly the owed ones → results; tool calls are owed but the request does not
   * answer them → mismatch; nothing owed → none.
   */
  continuation(lastUser: ConversationMessage): Continuation {
    if (!this.pending.waiting) return { kind: 'none' };
    const results = lastUser.content.filter((block): block is ToolResultBlock => block.type === 'tool_result');
    if (results.length === 0 || !this.pending.matches(results.map((block) => block.tool_use_id))) return { kind: 'mismatch' };
    return { kind: 'results', results: new Map(results.map((block) => [block.tool_use_id, toMcpResult(block)])) };
  }

  /** Continues the turn: the continuation goes to `sink`, then the results are handed to the CLI. */
  resume(results: ReadonlyMap<string, McpCallToolResult>, sink: SseSink, onDone: (done: SegmentDone) => void): void {
    this.attach(sink, onDone);
    this.pending.deliver(results);
  }

  /** The caller of the current segment went away: its events are dropped (the owner ends the process). */
  detach(): void {
    this.stream.detach();
  }

  /** Cancels the running turn (the CLI rejects the held calls and ends the turn); the pending state is forgotten. */
  interrupt(): void {
    this.pending.clear();
    this.stream.detach();
    this.options.write(this.server.interruptLine());
  }

  /** The process is gone: no timers left behind. */
  dispose(): void {
    this.pending.clear();
    this.stream.detach();
  }

  private attach(sink: SseSink, onDone: (done: SegmentDone) => void): void {
    this.stream.attach(sink, (end, answer, usage) => {
      if (end.kind === 'tool_use') this.pending.awaitResults(end.toolUses);
      onDone({ ...end, answer, usage });
    });
  }
}
