import type { McpToolDefinition } from './caller-tools';
import type { McpCallToolResult } from './tool-result-content';

/**
 * An MCP server spoken in-band over the CLI's stdin/stdout, the transport the Claude Agent SDK
 * uses for its "SDK MCP servers" (captures `claude-code-mcp/*-sdk-smoke`, CLI 2.1.197 and 2.1.332):
 *
 *   stdin  → `{"type":"control_request","request_id":"init_1","request":{"subtype":"initialize","sdkMcpServers":["<server>"]}}`
 *   stdout ← `{"type":"control_request","request_id":R,"request":{"subtype":"mcp_message","server_name":"<server>","message":<JSON-RPC>}}`
 *   stdin  → `{"type":"control_response","response":{"subtype":"success","request_id":R,"response":{"mcp_response":<JSON-RPC>}}}`
 *
 * No port, no secret, nothing reachable from outside the process pair. JSON-RPC notifications
 * are acknowledged with `{"jsonrpc":"2.0","result":{}}` as the SDK does. Methods other than
 * `initialize`, `ping`, `tools/list`, `tools/call` get JSON-RPC error -32601 (2.1.332's
 * `server/discover` included; the CLI carries on).
 */

/** A `tools/call` as it reaches TokenPak. */
export interface InBandToolCall {
  /** The model's `tool_use` id (`params._meta["claudecode/toolUseId"]`). */
  toolUseId: string;
  /** `params.name`: the MCP name TokenPak listed. */
  mcpName: string;
  arguments: unknown;
  answer(result: McpCallToolResult): void;
}

export interface InBandMcpServerOptions {
  serverName: string;
  tools: readonly McpToolDefinition[];
  /** Writes one line (no trailing newline) to the CLI's stdin. */
  write(line: string): void;
  onToolCall(call: InBandToolCall): void;
}

/** The protocol version TokenPak answers with when the client offers none. */
const DEFAULT_PROTOCOL_VERSION = '2025-06-18';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export class InBandMcpServer {
  private interrupts = 0;

  constructor(private readonly options: InBandMcpServerOptions) {}

  /** The stdin line that declares the server; written before the first user line. */
  initializeLine(): string {
    return JSON.stringify({
      type: 'control_request',
      request_id: 'tokenpak_init',
      request: { subtype: 'initialize', sdkMcpServers: [this.options.serverName] },
    });
  }

  /** The stdin line that cancels the running turn (capture `*-interrupt`); the process takes the next user line. */
  interruptLine(): string {
    this.interrupts += 1;
    return JSON.stringify({ type: 'control_request', request_id: `tokenpak_interrupt_${this.interrupts}`, request: { subtype: 'interrupt' } });
  }

  /**
   * Takes one parsed stdout record. Returns true when it was control traffic (consumed here:
   * MCP requests are answered, responses to TokenPak's own control requests are dropped).
   */
  handle(record: unknown): boolean {
    if (!isObject(record)) return false;
    if (record.type === 'control_response' || record.type === 'control_cancel_request') return true;
    if (record.type !== 'control_request') return false;
    const requestId = typeof record.request_id === 'string' ? record.request_id : null;
    const request = isObject(record.request) ? record.request : {};
    if (requestId === null) return true;
    if (request.subtype !== 'mcp_message' || request.server_name !== this.options.serverName || !isObject(request.message)) {
      this.writeControl({ subtype: 'error', request_id: requestId, error: `TokenPak does not handle control request "${String(request.subtype)}"` });
      return true;
    }
    this.rpc(requestId, request.message);
    return true;
  }

  private rpc(requestId: string, message: Json): void {
    const id = message.id;
    const method = typeof message.method === 'string' ? message.method : '';
    const params = isObject(message.params) ? message.params : {};
    const reply = (body: Json): void =>
      this.writeControl({
        subtype: 'success',
        request_id: requestId,
        response: { mcp_response: { jsonrpc: '2.0', ...(id === undefined ? {} : { id }), ...body } },
      });
    if (id === undefined) {
      reply({ result: {} });
      return;
    }
    switch (method) {
      case 'initialize':
        reply({
          result: {
            protocolVersion: typeof params.protocolVersion === 'string' ? params.protocolVersion : DEFAULT_PROTOCOL_VERSION,
            capabilities: { tools: {} },
            serverInfo: { name: 'tokenpak', version: '1' },
          },
        });
        return;
      case 'ping':
        reply({ result: {} });
        return;
      case 'tools/list':
        reply({ result: { tools: this.options.tools } });
        return;
      case 'tools/call': {
        const meta = isObject(params._meta) ? params._meta : {};
        const toolUseId = meta['claudecode/toolUseId'];
        const mcpName = params.name;
        if (typeof toolUseId !== 'string' || typeof mcpName !== 'string') {
          reply({
            result: {
              content: [{ type: 'text', text: 'TokenPak: a tools/call without a name or tool_use id cannot be matched to the caller' }],
              isError: true,
            },
          });
          return;
        }
        let answered = false;
        this.options.onToolCall({
          toolUseId,
          mcpName,
          arguments: params.arguments ?? {},
          answer: (result) => {
            if (answered) return;
            answered = true;
            reply({ result });
          },
        });
        return;
      }
      default:
        reply({ error: { code: -32601, message: `Method not found: ${method}` } });
    }
  }

  private writeControl(response: Json): void {
    this.options.write(JSON.stringify({ type: 'control_response', response }));
  }
}
