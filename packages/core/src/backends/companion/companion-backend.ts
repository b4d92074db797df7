import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../config/load-config';
import { HeaderName } from '../../http/header-names';
import { flatToRecord } from '../../http/node-headers';
import { errorMessage } from '../../log/error-message';
import type { Logger } from '../../log/logger';
import { redactText } from '../../log/redact';
import type { RouteDecision } from '../../decision/route-decision';
import { writeApiError, type ProxyError } from '../../http/api-errors';
import { fromAnyUsage } from '../../usage/token-usage';
import { TOKENS } from '../../di-tokens';
import type { Exchange } from '../exchange';
import { companionChildEnvironment } from './cli/child-environment';
import { buildCliInvocation, buildWarmArguments } from './cli/cli-arguments';
import { describeFailure, isMissingConversation, isUnavailable } from './cli/cli-failures';
import type { CliProcess } from './cli/cli-process';
import { runCliTurn, type TurnOutcome } from './cli/cli-turn';
import { SseResponse, writeJsonResponse, type BodyBytesListener } from './messages/companion-responses';
import type { CompanionStats } from './companion-stats';
import { prefixHashes, systemHash } from './session/conversation-fingerprint';
import { countTokensProblem, estimateInputTokens } from './messages/count-tokens';
import { parseMessagesRequest, type CompanionRequest } from './messages/messages-request';
import { ClientGoneError, readRequestBody, RequestBodyError } from './messages/read-request-body';
import { promptInput, userTurnLine } from './messages/render-conversation';
import { modelFromResult } from './messages/result-to-message';
import { QueueFullError, WaitAbortedError, type RunScheduler, type RunSlot } from './session/run-scheduler';
import { entryAfterAnswer, freshPlan, planSession, type SessionPlan } from './session/session-plan';
import { isValidCliSessionId, type CompanionSessionStore } from './session/session-store';
import type { WarmPool, WarmSession } from './session/warm-pool';
import type { WarmProcess, WarmProcessSpec } from './cli/warm-process';
import { runWarmTurn } from './cli/warm-turn';
import { parseCallerTools, type CallerTools } from './tools/caller-tools';
import type { CompanionToolTurns } from './tools/companion-tool-turns';

/** The Messages API's own request size limit; the companion must hold the whole body to render it. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
export const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';
/** `--continue` resumes "the latest session in the cwd": one conversation, so its runs take turns. */
const CONTINUE_LOCK_KEY = '\u0000continue';
/** How long shutdown waits for killed runs to conclude (they normally take milliseconds). */
const CLOSE_WAIT_MS = 5000;
/** Lists the request fields the CLI could not honour, so none is dropped unseen. */
export const IGNORED_FIELDS_HEADER = 'x-tokenpak-companion-ignored';
/**
 * How the companion served the turn: `warm` (a running CLI took it) or `cold (<why>)`
 * (a CLI was started for it; `spare` when the spare process took it). A response header
 * because the route decision is made before the companion knows.
 */
export const COMPANION_SESSION_HEADER = 'x-tokenpak-companion';

/** One request being served: the exchange plus what is known about it so far. */
interface CompanionCall {
  decision: RouteDecision;
  exchange: Exchange;
  /** Fires when the client goes away before its answer is complete. */
  signal: AbortSignal;
  /** `warm` / `cold (why)` once known (the COMPANION_SESSION_HEADER value). */
  served?: string;
}

/**
 * The Claude companion (ARCHITECTURE §2.6): serves `tokenpak-claude-code` Messages
 * traffic by running the user's own `claude` CLI, which uses its own login. The request
 * becomes a prompt on stdin (never argv), runs in the right CLI session under the
 * scheduler's limits, and the CLI's output becomes a Messages API answer — JSON, or SSE
 * relayed while the CLI is still working.
 */
@injectable()
export class CompanionBackend {
  private readonly live = new Set<CliProcess>();
  /** Requests being served (they may still be writing the session map after answering). */
  private readonly serving = new Set<Promise<void>>();
  private readonly logger: Logger;
  /** The CLI's working directory: never the proxy's own cwd (the CLI may read and write where it runs). */
  private readonly cwd: string;
  private cwdReady = false;

  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.Logger) logger: Logger,
    @inject(TOKENS.CompanionScheduler) private readonly scheduler: RunScheduler,
    @inject(TOKENS.CompanionSessionStore) private readonly sessions: CompanionSessionStore,
    @inject(TOKENS.CompanionStats) private readonly stats: CompanionStats,
    @inject(TOKENS.CompanionWarmPool) private readonly pool: WarmPool,
    @inject(TOKENS.CompanionToolTurns) private readonly toolTurns: CompanionToolTurns,
  ) {
    this.logger = logger.child('companion');
    this.cwd = resolved.config.companion.cwd ?? path.join(resolved.config.state.dir, 'companion');
  }

  /** Serves one exchange. Never throws: every outcome is an answer, an error answer, or a closed connection. */
  handle(decision: RouteDecision, exchange: Exchange): void {
    const aborter = new AbortController();
    const { outgoing } = exchange;
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) aborter.abort();
    });
    // The ledger row waits until this request's CLI runs have reported their usage.
    const releaseMeter = exchange.meter?.hold();
    const served = this.serve({ decision, exchange, signal: aborter.signal })
      .catch((error: unknown) => {
        this.logger.error('companion request failed unexpectedly', { error: errorMessage(error) });
        this.writeError(exchange, { code: 'internal_error', status: 500, message: 'TokenPak hit an internal error in the Claude companion' });
      })
      .finally(() => {
        releaseMeter?.();
        this.serving.delete(served);
      });
    this.serving.add(served);
  }

  /** Shutdown: stops every CLI process still running, lets their requests conclude, and waits for the session map. */
  async close(): Promise<void> {
    for (const run of this.live) run.killNow();
    const warmClosed = this.pool.close();
    this.toolTurns.close();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([Promise.allSettled([...this.serving]), bound]);
    clearTimeout(timer);
    await warmClosed;
    await this.sessions.flush();
  }

  private async serve(call: CompanionCall): Promise<void> {
    const { exchange } = call;
    let body: Buffer;
    try {
      body = await readRequestBody(exchange.incoming, exchange.bodyPrefix, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof RequestBodyError) this.writeError(exchange, error.error, { [HeaderName.connection]: 'close' });
      else if (error instanceof ClientGoneError) exchange.outgoing.destroy();
      else throw error;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      this.writeError(exchange, { code: 'invalid_body', status: 400, message: 'the request body is not valid JSON' });
      return;
    }
    if (call.exchange.incoming.url?.split('?')[0] === COUNT_TOKENS_PATH) {
      this.countTokens(exchange, json);
      return;
    }
    const parsed = parseMessagesRequest(json);
    if (!parsed.ok) {
      this.writeError(exchange, { code: 'invalid_body', status: 400, message: parsed.message });
      return;
    }
    const tools = parseCallerTools(json as Record<string, unknown>);
    if (!tools.ok) {
      this.writeError(exchange, { code: 'invalid_body', status: 400, message: tools.message });
      return;
    }
    // tool_choice "none": the tools are simply not offered (the plain path, which lists them as ignored).
    if (tools.tools.tools.length > 0 && tools.tools.choice.type !== 'none') {
      await this.serveWithTools(call, parsed.request, tools.tools);
      return;
    }
    await this.converse(call, parsed.request);
  }

  /** The caller's tools over a long-lived CLI (ARCHITECTURE §2.6.2; tools/companion-tool-turns.ts). */
  private async serveWithTools(call: CompanionCall, request: CompanionRequest, tools: CallerTools): Promise<void> {
    const { decision, exchange } = call;
    if (!(await this.ensureCwd(exchange))) return;
    const sessionKey = decision.sessionId ? `${decision.platform ?? 'none'}\u0000${decision.sessionId}` : null;
    const ignored = [...request.unhonoured.filter((field) => field !== 'tools' && field !== 'tool_choice'), ...tools.ignored];
    await this.toolTurns.serve({
      exchange,
      signal: call.signal,
      request,
      tools,
      conversationKey: sessionKey ?? (this.resolved.config.companion.continue ? CONTINUE_LOCK_KEY : null),
      headers: ignored.length > 0 ? [...exchange.responseHeaders, IGNORED_FIELDS_HEADER, ignored.join(', ')] : [...exchange.responseHeaders],
      env: companionChildEnvironment(process.env, { tokenpakPorts: [this.resolved.config.server.port, exchange.incoming.socket.localPort ?? 0] }),
      cwd: this.cwd,
    });
  }

  private countTokens(exchange: Exchange, body: unknown): void {
    const problem = countTokensProblem(body);
    if (problem) {
      this.writeError(exchange, { code: 'companion_unsupported', status: 400, message: problem });
      return;
    }
    writeJsonResponse(exchange.outgoing, 200, { input_tokens: estimateInputTokens(body as Record<string, unknown>) }, exchange.responseHeaders);
  }

  /** Waits for a run slot, runs the CLI in the planned session, answers, and remembers the session. */
  private async converse(call: CompanionCall, request: CompanionRequest): Promise<void> {
    const { decision, exchange } = call;
    const companion = this.resolved.config.companion;
    const sessionKey = decision.sessionId ? `${decision.platform ?? 'none'}\u0000${decision.sessionId}` : null;
    const lockKey = sessionKey ?? (companion.continue ? CONTINUE_LOCK_KEY : null);

    let slot: RunSlot;
    try {
      slot = await this.scheduler.acquire(lockKey, call.signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        this.stats.rejected++;
        this.writeError(
          exchange,
          {
            code: 'companion_busy',
            status: 429,
            message: `the Claude companion is busy (companion.maxConcurrent ${companion.maxConcurrent} running, companion.maxQueue ${companion.maxQueue} waiting); retry later`,
          },
          { [HeaderName.retryAfter]: String(error.retryAfterSeconds) },
        );
        return;
      }
      if (error instanceof WaitAbortedError) return;
      throw error;
    }

    let saving: Promise<void> = Promise.resolve();
    try {
      if (!(await this.ensureCwd(exchange))) return;
      const hashes = prefixHashes(request.messages);
      const entry = sessionKey ? await this.sessions.get(sessionKey) : undefined;
      let plan = planSession(request, { platformSession: sessionKey !== null, continueEnabled: companion.continue, entry, hashes });
      if (this.pool.enabled) {
        const outcome = await this.runWarm(call, request, plan, lockKey);
        saving = this.conclude(call, request, hashes, sessionKey, outcome);
        return;
      }
      let outcome = await this.runPlan(call, request, plan);
      reportUsage(exchange, request, outcome);
      if (outcome.kind === 'failed' && !outcome.responded && plan.mode !== 'fresh' && isMissingConversation(outcome.facts)) {
        this.logger.info(`the CLI had no conversation to ${plan.mode}; starting a fresh session with the whole conversation`);
        plan = freshPlan(request, `--${plan.mode} found no conversation`);
        outcome = await this.runPlan(call, request, plan);
        reportUsage(exchange, request, outcome);
      }
      saving = this.conclude(call, request, hashes, sessionKey, outcome);
    } finally {
      // The session map is already updated in memory; the session's next turn need not wait for the disk.
      slot.release();
    }
    await saving;
  }

  private runPlan(call: CompanionCall, request: CompanionRequest, plan: SessionPlan): Promise<TurnOutcome> {
    const { exchange } = call;
    const companion = this.resolved.config.companion;
    const input = promptInput(plan.prompt);
    const invocation = buildCliInvocation({
      stream: request.stream,
      streamJsonInput: input.inputFormat === 'stream-json',
      model: request.model,
      session: { mode: plan.mode, resumeId: plan.resumeId },
      tools: companion.tools,
    });
    const headers = this.answerHeaders(exchange, request);
    this.logger.debug('running the claude CLI', { session: plan.reason, args: invocation.args.join(' '), stdinBytes: input.bytes.length });
    return runCliTurn({
      process: {
        command: companion.command,
        args: invocation.args,
        cwd: this.cwd,
        env: companionChildEnvironment(process.env, { tokenpakPorts: [this.resolved.config.server.port, exchange.incoming.socket.localPort ?? 0] }),
        stdin: input.bytes,
        timeoutMs: companion.timeoutMs,
      },
      outputFormat: invocation.outputFormat,
      sse: request.stream ? new SseResponse(exchange.outgoing, headers, companion.pingIntervalMs, bodyMeter(exchange)) : null,
      requestedModel: request.model,
      signal: call.signal,
      track: (run) => {
        this.live.add(run);
        return () => this.live.delete(run);
      },
    });
  }

  /**
   * One turn on a warm process (ARCHITECTURE §2.6.1). The conversation's process is reused
   * when the plan would resume exactly the session it holds (same model, same system
   * prompt); otherwise it is ended and a new one started as the plan says (fresh, or
   * `--resume` / `--continue`). A reused process that died before printing anything for
   * this turn is replaced and the turn run again; a resume the CLI cannot find is retried
   * fresh. Every usage report goes to the ledger.
   */
  private async runWarm(call: CompanionCall, request: CompanionRequest, firstPlan: SessionPlan, key: string | null): Promise<TurnOutcome> {
    const { exchange } = call;
    const companion = this.resolved.config.companion;
    let sse: SseResponse | null = null;
    let plan = firstPlan;
    for (let attempt = 0; ; attempt++) {
      const held = this.warmProcessFor(key, request, plan, exchange);
      call.served = held.reused ? 'warm' : `cold (${held.spare ? 'spare process; ' : ''}${plan.reason})`;
      if (request.stream)
        sse ??= new SseResponse(exchange.outgoing, this.answerHeaders(exchange, request, call), companion.pingIntervalMs, bodyMeter(exchange));
      // A process that already answered is trusted to be up: open the stream now; a new one opens it at its first record.
      if (held.reused) sse?.openNow();
      this.logger.debug('warm companion turn', { session: held.reused ? 'warm' : plan.reason, pid: held.process.pid });
      const report = await runWarmTurn({
        process: held.process,
        lines: [userTurnLine(plan.prompt)],
        sse,
        requestedModel: request.model,
        signal: call.signal,
        timeoutMs: companion.timeoutMs,
        command: companion.command,
      });
      const { outcome } = report;
      if (outcome.kind === 'answered') {
        reportUsage(exchange, request, outcome);
        if (held.session) {
          held.session.turns++;
          held.session.cliSessionId = outcome.cliSessionId;
          this.pool.checkin(held.session);
        } else {
          held.process.end();
        }
        this.pool.replenishSpare(() => this.warmSpec({ mode: 'fresh', resumeId: null }, null, exchange));
        return outcome;
      }
      // Anything but an answer leaves the process in an unknown state: it goes.
      if (held.session) this.pool.discard(held.session);
      else held.process.end();
      if (outcome.kind === 'suspended') throw new Error('a warm turn was suspended without a tools layer');
      if (outcome.kind === 'aborted') return outcome;
      reportUsage(exchange, request, outcome);
      const exit = outcome.facts.exit;
      const diedQuietly = exit.kind === 'exited' && exit.stoppedBy === null && !report.sawOutput;
      if (attempt === 0 && held.reused && diedQuietly && !call.signal.aborted) {
        this.logger.info('the warm claude CLI had exited between turns; starting a new one for this turn');
        continue;
      }
      if (attempt < 2 && plan.mode !== 'fresh' && isMissingConversation(outcome.facts)) {
        this.logger.info(`the CLI had no conversation to ${plan.mode}; starting a fresh session with the whole conversation`);
        plan = freshPlan(request, `--${plan.mode} found no conversation`);
        continue;
      }
      if (sse?.started) {
        sse.fail(describeFailure(outcome.facts));
        return { ...outcome, responded: true };
      }
      return outcome;
    }
  }

  /** The process a warm turn runs on: the conversation's own when it holds what the plan resumes, else a new one. */
  private warmProcessFor(
    key: string | null,
    request: CompanionRequest,
    plan: SessionPlan,
    exchange: Exchange,
  ): { session: WarmSession | null; process: WarmProcess; reused: boolean; spare: boolean } {
    const system = systemHash(request.system);
    if (key !== null) {
      const held = this.pool.peek(key);
      const holdsPlan = plan.mode === 'continue' || (plan.mode === 'resume' && held?.cliSessionId === plan.resumeId && held.systemHash === system);
      if (held && !held.busy && held.model === request.model && holdsPlan) {
        const session = this.pool.checkout(key);
        if (session) return { session, process: session.process, reused: true, spare: false };
      }
    }
    const spec = this.warmSpec({ mode: plan.mode, resumeId: plan.resumeId }, request.model, exchange);
    // The spare was started fresh on the default model: only such a session can take it.
    const useSpare = plan.mode === 'fresh' && request.model === null;
    if (key === null) {
      const started = this.pool.startUnpooled(spec, useSpare);
      return { session: null, process: started.process, reused: false, spare: started.spare };
    }
    const { session, spare } = this.pool.start(key, spec, request.model, useSpare);
    session.systemHash = system;
    return { session, process: session.process, reused: false, spare };
  }

  /**
   * A warm process's spawn spec. `extra` is the seam for a layer that needs more per
   * session (the caller's tools over MCP: `--mcp-config`, `--strict-mcp-config`,
   * `--allowedTools`, and env of its own); it is added after the clean environment.
   */
  private warmSpec(
    session: { mode: SessionPlan['mode']; resumeId: string | null },
    model: string | null,
    exchange: Exchange,
    extra: { args?: readonly string[]; env?: Readonly<Record<string, string>> } = {},
  ): WarmProcessSpec {
    const companion = this.resolved.config.companion;
    return {
      command: companion.command,
      args: buildWarmArguments({ model, session, tools: companion.tools, extraArgs: extra.args }),
      cwd: this.cwd,
      env: {
        ...companionChildEnvironment(process.env, { tokenpakPorts: [this.resolved.config.server.port, exchange.incoming.socket.localPort ?? 0] }),
        ...extra.env,
      },
    };
  }

  /** Answers (unless already answered), counts, and updates the session map; resolves when the map is on disk. */
  private conclude(call: CompanionCall, request: CompanionRequest, hashes: readonly string[], sessionKey: string | null, outcome: TurnOutcome): Promise<void> {
    const { exchange } = call;
    switch (outcome.kind) {
      case 'answered':
        this.stats.completed++;
        if (outcome.message) writeJsonResponse(exchange.outgoing, 200, outcome.message, this.answerHeaders(exchange, request, call), bodyMeter(exchange));
        if (!sessionKey) return Promise.resolve();
        return outcome.cliSessionId && isValidCliSessionId(outcome.cliSessionId)
          ? this.sessions.set(sessionKey, entryAfterAnswer(request, hashes, outcome.cliSessionId, outcome.answer))
          : this.sessions.delete(sessionKey);
      case 'aborted':
        this.stats.aborted++;
        this.logger.debug('client went away; the CLI run was stopped');
        // What the CLI session recorded of the abandoned turn is unknown: start over next time.
        return sessionKey ? this.sessions.delete(sessionKey) : Promise.resolve();
      case 'failed': {
        const error = describeFailure(outcome.facts);
        // ARCHITECTURE §7: a CLI that cannot serve at all lets the dispatcher hand the request on.
        if (!outcome.responded && isUnavailable(outcome.facts) && exchange.unavailable?.(error.message)) return Promise.resolve();
        this.stats.failed++;
        this.stats.lastError = redactText(error.message);
        this.logger.warn(`claude CLI run failed: ${error.message}`);
        // After a stream started the status says 200: the ledger learns of the failure here.
        exchange.meter?.noteError(error.type ?? 'api_error');
        if (!outcome.responded) this.writeError(exchange, error);
        // A run that started may have left a partial turn in the CLI session: start over next time.
        return sessionKey && outcome.facts.exit.kind === 'exited' ? this.sessions.delete(sessionKey) : Promise.resolve();
      }
    }
  }

  private async ensureCwd(exchange: Exchange): Promise<boolean> {
    if (this.cwdReady) return true;
    try {
      await mkdir(this.cwd, { recursive: true, mode: 0o700 });
      this.cwdReady = true;
      return true;
    } catch (error) {
      this.writeError(exchange, {
        code: 'internal_error',
        status: 500,
        message: `TokenPak could not create companion.cwd ${this.cwd}: ${errorMessage(error)}`,
      });
      return false;
    }
  }

  private answerHeaders(exchange: Exchange, request: CompanionRequest, call?: CompanionCall): string[] {
    const headers = [...exchange.responseHeaders];
    if (request.unhonoured.length > 0) headers.push(IGNORED_FIELDS_HEADER, request.unhonoured.join(', '));
    if (call?.served) headers.push(COMPANION_SESSION_HEADER, call.served);
    return headers;
  }

  private writeError(exchange: Exchange, error: ProxyError, extra: Record<string, string> = {}): void {
    writeApiError(exchange.outgoing, exchange.shape, error, { ...flatToRecord(exchange.responseHeaders), ...extra });
  }
}

/** The ledger's time to first byte and bytes out, for the body the companion writes itself. */
function bodyMeter(exchange: Exchange): BodyBytesListener | undefined {
  const { meter } = exchange;
  return meter ? (bytes, content) => meter.reportBodyBytes(bytes, content) : undefined;
}

/** Tells the request ledger what a CLI run used, from its result record (every run counts: a retried turn used both). */
function reportUsage(exchange: Exchange, request: CompanionRequest, outcome: TurnOutcome): void {
  const result = outcome.kind === 'answered' ? outcome.result : outcome.kind === 'failed' ? outcome.facts.result : null;
  if (result) exchange.meter?.reportUsage(modelFromResult(result, request.model), fromAnyUsage(result.usage));
}
