import { randomUUID } from 'node:crypto';
import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../../config/load-config';
import { flatToRecord } from '../../../http/node-headers';
import { errorMessage } from '../../../log/error-message';
import type { Logger } from '../../../log/logger';
import { redactText } from '../../../log/redact';
import { writeApiError, type ProxyError } from '../../../http/api-errors';
import { TOKENS } from '../../../di-tokens';
import { fromAnyUsage } from '../../../usage/token-usage';
import type { Exchange } from '../../exchange';
import { SseResponse, writeJsonResponse, type BodyBytesListener } from '../messages/companion-responses';
import type { CompanionStats } from '../companion-stats';
import { prefixHashes, systemHash } from '../session/conversation-fingerprint';
import type { CompanionRequest } from '../messages/messages-request';
import { renderNewTurns, renderWholeConversation } from '../messages/render-conversation';
import { QueueFullError, WaitAbortedError, type RunScheduler, type RunSlot } from '../session/run-scheduler';
import { hashedKey } from '../session/warm-pool';
import type { CallerTools } from './caller-tools';
import { MessageAssembler } from './message-assembler';
import type { PendingToolCallInfo } from './pending-tool-calls';
import type { McpCallToolResult } from './tool-result-content';
import { ToolProcess, type ToolProcessExit } from './tool-process';
import type { SegmentDone } from './tool-session';

/** Response header naming how the turn ended (`tool_use; pending=<n>` or `end_turn`). */
export const TOOL_TURN_HEADER = 'x-tokenpak-companion-turn';

/** One request with the caller's tools, as the backend hands it over. */
export interface ToolTurnCall {
  exchange: Exchange;
  signal: AbortSignal;
  request: CompanionRequest;
  tools: CallerTools;
  /** The conversation (platform session, or the one `continue` conversation); null: none known. */
  conversationKey: string | null;
  /** Response headers (route, request id, `x-tokenpak-companion-ignored`). */
  headers: string[];
  /** The CLI's environment (clean: no caller credentials, no base URL pointing back here). */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface ToolConversation {
  id: string;
  key: string | null;
  process: ToolProcess;
  /** True while a caller response is being produced (never evicted then). */
  busy: boolean;
  /** After a turn ended in text: what the process holds, so the next request can extend it. */
  held: { count: number; hash: string; toolsJson: string; system: string; idle: NodeJS.Timeout } | null;
}

/** One line of `tokenpak status`: a warm tool conversation and the calls it waits on. */
export interface ToolConversationStatus {
  key: string;
  pid: number | null;
  pending: PendingToolCallInfo[];
}

/**
 * Requests with the caller's `tools` through the companion (ARCHITECTURE §2.6.2). A request
 * starts a long-lived CLI process serving the tools in-band (ToolProcess/ToolSession); when
 * the model calls tools, the response ends with them and the process waits; the request
 * whose `tool_result`s answer exactly the pending calls continues the same process, found by
 * `tool_use` id. Any other request in that conversation ends the waiting process and is
 * served fresh; a caller that never comes back ends it after `companion.toolResultTimeoutMs`.
 * A turn that ends in text keeps its process for the request that extends exactly that
 * conversation (prefix fingerprint, same tools and system prompt: only its new user turns are
 * written), until it sits idle for `companion.toolResultTimeoutMs`.
 * Each segment holds a run slot while the CLI works, none while it waits for the caller.
 */
@injectable()
export class CompanionToolTurns {
  private readonly conversations = new Set<ToolConversation>();
  private readonly logger: Logger;

  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.Logger) logger: Logger,
    @inject(TOKENS.CompanionScheduler) private readonly scheduler: RunScheduler,
    @inject(TOKENS.CompanionStats) private readonly stats: CompanionStats,
  ) {
    this.logger = logger.child('companion-tools');
  }

  /** Conversations waiting for their caller, for `/tokenpak/status`. */
  status(): ToolConversationStatus[] {
    return [...this.conversations].map((conversation) => ({
      // Hashed like the warm sessions' keys: session ids are the caller's.
      key: hashedKey(conversation.key ?? conversation.id),
      pid: conversation.process.pid ?? null,
      pending: conversation.process.session.pendingCalls(),
    }));
  }

  /** Shutdown: every process ends now. */
  close(): void {
    for (const conversation of this.conversations) conversation.process.killNow();
    this.conversations.clear();
  }

  /** Serves one request; never throws (every outcome is an answer or a closed connection). */
  async serve(call: ToolTurnCall): Promise<void> {
    const lastUser = call.request.messages[call.request.messages.length - 1]!;
    let continued: { conversation: ToolConversation; results: Map<string, McpCallToolResult> } | null = null;
    for (const conversation of this.conversations) {
      const continuation = conversation.process.session.continuation(lastUser);
      if (continuation.kind === 'results') {
        continued = { conversation, results: continuation.results };
        break;
      }
    }
    let extended: { conversation: ToolConversation; line: string } | null = null;
    if (!continued) {
      for (const conversation of this.conversations) {
        const line = this.extension(conversation, call);
        if (line !== null) {
          extended = { conversation, line };
          break;
        }
      }
    }
    if (!continued && !extended && call.conversationKey !== null) {
      for (const conversation of [...this.conversations]) {
        if (conversation.key === call.conversationKey) this.end(conversation, 'the next request does not answer its pending tool calls; serving it fresh');
      }
    }

    let slot: RunSlot;
    try {
      slot = await this.scheduler.acquire(call.conversationKey ?? continued?.conversation.id ?? extended?.conversation.id ?? null, call.signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        this.stats.rejected++;
        this.writeError(
          call,
          { code: 'companion_busy', status: 429, message: 'the Claude companion is busy; retry later' },
          { 'retry-after': String(error.retryAfterSeconds) },
        );
        return;
      }
      if (error instanceof WaitAbortedError) return;
      throw error;
    }
    try {
      if (continued && continued.conversation.process.alive) {
        const { conversation, results } = continued;
        await this.segment(call, conversation, (sink, onDone) => conversation.process.session.resume(results, sink, onDone));
        return;
      }
      if (extended && extended.conversation.process.alive) {
        const { conversation, line } = extended;
        this.release(conversation);
        await this.segment(call, conversation, (sink, onDone) => conversation.process.session.startTurn(line, sink, onDone));
        return;
      }
      if (continued) this.end(continued.conversation, 'its process died while waiting');
      if (extended) this.end(extended.conversation, 'its process died between turns');
      const conversation = this.start(call);
      const line = this.userLine(call);
      await this.segment(call, conversation, (sink, onDone) => conversation.process.session.startTurn(line, sink, onDone));
    } finally {
      slot.release();
    }
  }

  private start(call: ToolTurnCall): ToolConversation {
    const companion = this.resolved.config.companion;
    // Processes waiting between steps are bounded like warm sessions: the least recently used idle one goes.
    const limit = Math.max(1, companion.warm.max);
    for (const conversation of [...this.conversations]) {
      if (this.conversations.size < limit) break;
      if (!conversation.busy) this.end(conversation, `more than companion.warm.max (${limit}) tool sessions; ending the least recently used`);
    }
    const args = ['--print', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];
    if (call.request.model) args.push('--model', call.request.model);
    const id = `tools-${randomUUID()}`;
    const conversation: ToolConversation = {
      id,
      key: call.conversationKey,
      busy: false,
      held: null,
      process: new ToolProcess({
        command: companion.command,
        args,
        cwd: call.cwd,
        env: call.env,
        tools: call.tools.tools,
        toolResultTimeoutMs: companion.toolResultTimeoutMs,
        onAbandoned: () => this.end(conversation, `no tool_result within companion.toolResultTimeoutMs (${companion.toolResultTimeoutMs} ms)`),
      }),
    };
    this.conversations.add(conversation);
    conversation.process.exited
      .then(() => {
        this.release(conversation);
        this.conversations.delete(conversation);
      })
      .catch((error: unknown) => this.logger.warn('tool process watch failed', { error: errorMessage(error) }));
    return conversation;
  }

  /** The whole conversation as one stream-json user line (system prompt and any tool_choice instruction first). */
  private userLine(call: ToolTurnCall): string {
    const { request, tools } = call;
    const system = [request.system, tools.choiceInstruction].filter((part): part is string => part !== null).join('\n\n') || null;
    const prompt = renderWholeConversation(system, request.messages);
    return JSON.stringify({ type: 'user', message: { role: 'user', content: prompt.parts }, parent_tool_use_id: null, session_id: '' });
  }

  /**
   * The stdin line that continues a process whose last turn ended in text, when this request
   * extends exactly what it holds (same prefix fingerprint, same tools and system prompt, only
   * new user turns); null otherwise.
   */
  private extension(conversation: ToolConversation, call: ToolTurnCall): string | null {
    const { held } = conversation;
    const { messages } = call.request;
    if (!held || messages.length <= held.count) return null;
    if (held.toolsJson !== JSON.stringify(call.tools.tools) || held.system !== systemHash(call.request.system)) return null;
    const newTurns = messages.slice(held.count);
    if (newTurns.some((turn) => turn.role !== 'user') || prefixHashes(messages.slice(0, held.count))[held.count] !== held.hash) return null;
    const prompt = renderNewTurns(newTurns, null);
    return JSON.stringify({ type: 'user', message: { role: 'user', content: prompt.parts }, parent_tool_use_id: null, session_id: '' });
  }

  /** Keeps a process whose turn ended in text for the conversation's next request (until it sits idle too long). */
  private hold(conversation: ToolConversation, call: ToolTurnCall, done: SegmentDone): void {
    const idleMs = this.resolved.config.companion.toolResultTimeoutMs;
    const messages = [...call.request.messages, done.answer];
    const idle = setTimeout(() => this.end(conversation, `idle for companion.toolResultTimeoutMs (${idleMs} ms) after its last turn`), idleMs);
    idle.unref();
    conversation.held = {
      count: messages.length,
      hash: prefixHashes(messages)[messages.length]!,
      toolsJson: JSON.stringify(call.tools.tools),
      system: systemHash(call.request.system),
      idle,
    };
  }

  private release(conversation: ToolConversation): void {
    if (conversation.held) clearTimeout(conversation.held.idle);
    conversation.held = null;
  }

  private end(conversation: ToolConversation, why: string): void {
    this.release(conversation);
    if (!this.conversations.delete(conversation)) return;
    this.logger.info(`ending a companion tool session: ${why}`);
    conversation.process.end();
  }

  /** Runs one caller response: until the CLI stops at tool_use or ends the turn, the process dies, the client leaves, or the time is up. */
  private segment(
    call: ToolTurnCall,
    conversation: ToolConversation,
    begin: (sink: SseResponse | MessageAssembler, onDone: (done: SegmentDone) => void) => void,
  ): Promise<void> {
    const { exchange, request } = call;
    const { timeoutMs, pingIntervalMs } = this.resolved.config.companion;
    // The ledger's time to first byte and bytes out, as for the other companion answers.
    const { meter } = exchange;
    const onBody: BodyBytesListener | undefined = meter ? (bytes, content) => meter.reportBodyBytes(bytes, content) : undefined;
    // Most recently used last: eviction takes the oldest.
    if (this.conversations.delete(conversation)) this.conversations.add(conversation);
    conversation.busy = true;
    return new Promise<void>((resolve) => {
      let settled = false;
      let sse: SseResponse | null = null;
      const finish = (): void => {
        settled = true;
        conversation.busy = false;
        clearTimeout(timer);
        call.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const fail = (error: ProxyError): void => {
        if (settled) return;
        finish();
        this.stats.failed++;
        this.stats.lastError = redactText(error.message);
        exchange.meter?.noteError(error.type ?? 'api_error');
        this.end(conversation, error.message);
        if (sse?.started) sse.fail(error);
        else this.writeError(call, error);
      };
      const onAbort = (): void => {
        if (settled) return;
        finish();
        this.stats.aborted++;
        this.end(conversation, 'the client went away mid-turn');
      };
      const timer = setTimeout(
        () =>
          fail({
            code: 'companion_timeout',
            status: 504,
            type: 'timeout_error',
            message: `the claude CLI did not answer within companion.timeoutMs (${timeoutMs} ms); TokenPak stopped it`,
          }),
        timeoutMs,
      );
      timer.unref();
      if (call.signal.aborted) {
        onAbort();
        return;
      }
      call.signal.addEventListener('abort', onAbort, { once: true });
      conversation.process.exited.then((exit) => fail(exitError(exit, this.resolved.config.companion.command))).catch(() => undefined);

      const onDone = (done: SegmentDone): void => {
        if (settled) return;
        finish();
        this.stats.completed++;
        exchange.meter?.reportUsage(request.model, fromAnyUsage(done.usage));
        exchange.meter?.noteOutcome(`companion: turn ended in ${turnLabel(done)}`);
        if (done.kind === 'result') this.hold(conversation, call, done);
        if (sse) sse.end();
        else writeJsonResponse(exchange.outgoing, 200, assembler.result(), [...call.headers, TOOL_TURN_HEADER, turnLabel(done)], onBody);
      };
      const assembler = new MessageAssembler();
      // SSE: the header must go out with the first event, before the turn's end is known.
      if (request.stream) sse = new SseResponse(exchange.outgoing, [...call.headers], pingIntervalMs, onBody);
      begin(sse ?? assembler, onDone);
    });
  }

  private writeError(call: ToolTurnCall, error: ProxyError, extra: Record<string, string> = {}): void {
    writeApiError(call.exchange.outgoing, call.exchange.shape, error, { ...flatToRecord(call.headers), ...extra });
  }
}

function turnLabel(done: SegmentDone): string {
  return done.kind === 'tool_use' ? `tool_use; pending=${done.toolUses.length}` : 'end_turn';
}

/** The process ended mid-turn: why, in the caller's terms (stderr redacted). */
function exitError(exit: ToolProcessExit, command: string): ProxyError {
  if (exit.spawnError?.code === 'ENOENT') {
    return {
      code: 'companion_unavailable',
      status: 502,
      type: 'api_error',
      message: `the claude CLI (${command}) was not found; install Claude Code (npm install -g @anthropic-ai/claude-code) or set companion.command`,
    };
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${String(exit.code)}`;
  const stderr = exit.stderrHead.trim();
  return {
    code: 'companion_failed',
    status: 502,
    type: 'api_error',
    message: `the claude CLI ${how} during a tool turn${stderr ? `: ${redactText(stderr.slice(0, 500))}` : ''}`,
  };
}
