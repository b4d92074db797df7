import type { RunFacts } from './cli-failures';
import type { CliExit } from './cli-process';
import type { CliRecord, CliResultRecord } from './cli-records';
import type { SseResponse } from '../messages/companion-responses';
import type { TurnOutcome } from './cli-turn';
import { messageFromResult } from '../messages/result-to-message';
import { StreamJsonToSse } from '../messages/stream-json-to-sse';
import type { WarmProcess } from './warm-process';

/** How much unexpected stdout is kept to quote in an error. */
const STDOUT_HEAD_BYTES = 2048;

/** Handed to a turn interceptor (the tools layer) so it can end a turn before its `result`. */
export interface TurnControl {
  /** Ends the turn now with outcome `suspended`; the process stays up and keeps the session. */
  suspend(): void;
}

/**
 * Sees every record of the turn before the answer translation does. Return true to
 * keep the record from the translator (e.g. a record the tools layer answers itself).
 */
export type TurnInterceptor = (record: CliRecord, line: string, control: TurnControl) => boolean | void;

export interface WarmTurnRequest {
  process: WarmProcess;
  /** The stdin lines of the turn (JSON without the newline), written in order. */
  lines: readonly string[];
  /** A streaming request's SSE response; null for JSON. */
  sse: SseResponse | null;
  requestedModel: string | null;
  /** Fires when the client goes away: the process is stopped (its state is unknown after that). */
  signal: AbortSignal;
  /** `companion.timeoutMs`: the turn (not the process) is bounded by it. */
  timeoutMs: number;
  /** For error messages. */
  command: string;
  intercept?: TurnInterceptor;
}

export type WarmTurnOutcome = TurnOutcome | { kind: 'suspended' };

export interface WarmTurnReport {
  outcome: WarmTurnOutcome;
  /** True when the process printed anything for this turn (a failure before that may be retried on a new process). */
  sawOutput: boolean;
}

/**
 * One turn on a warm process: writes the turn's lines, relays its records (SSE) or
 * collects them (JSON), and ends at the turn's `result` record with the process still
 * running. Ends early when the process exits (failed), the client leaves (aborted; the
 * process is stopped), or `timeoutMs` passes (failed 504; the process is stopped).
 * Never writes an error to the client: the caller decides (it may retry on a fresh
 * process when nothing was printed).
 */
export function runWarmTurn(turn: WarmTurnRequest): Promise<WarmTurnReport> {
  const { process: proc, sse } = turn;
  const startedAt = Date.now();
  const translator = sse ? new StreamJsonToSse(sse, turn.requestedModel) : null;
  let sessionId: string | null = null;
  let unparsedHead = '';
  let sawOutput = false;

  return new Promise<WarmTurnReport>((resolve) => {
    let done = false;
    const cleanups: Array<() => void> = [];
    const settle = (outcome: WarmTurnOutcome): void => {
      if (done) return;
      done = true;
      for (const cleanup of cleanups) cleanup();
      resolve({ outcome, sawOutput });
    };
    const failed = (exit: CliExit, result: CliResultRecord | null): void =>
      settle({ kind: 'failed', facts: facts(turn, exit, result, unparsedHead), responded: false });

    const control: TurnControl = { suspend: () => settle({ kind: 'suspended' }) };
    const onRecord = (record: CliRecord, line: string): void => {
      if (done) return;
      sawOutput = true;
      // The CLI took the turn (it prints system/init first): the client gets its status line now.
      sse?.openNow();
      if (turn.intercept?.(record, line, control) === true || done) return;
      if (record.type === 'system') sessionId ??= record.session_id;
      translator?.push(record);
      if (record.type !== 'result') return;
      if (record.session_id) sessionId = record.session_id;
      if (record.is_error) {
        failed({ kind: 'exited', code: null, signal: null, stoppedBy: null, stderrHead: '', durationMs: Date.now() - startedAt }, record);
        return;
      }
      settle(answered(record, translator, sse, sessionId, turn.requestedModel));
    };
    cleanups.push(
      proc.subscribe(onRecord, (line) => {
        sawOutput = true;
        if (unparsedHead.length < STDOUT_HEAD_BYTES) unparsedHead += `${line.slice(0, STDOUT_HEAD_BYTES)}\n`;
      }),
    );
    sse?.setFlowControl({ pause: () => proc.pauseOutput(), resume: () => proc.resumeOutput() });
    cleanups.push(() => proc.resumeOutput());

    proc.exited.then(
      (exit) => {
        if (exit.kind === 'exited' && exit.stoppedBy === 'abort') settle({ kind: 'aborted' });
        else failed(exit, null);
      },
      () => undefined,
    );
    const onAbort = (): void => proc.stop('abort');
    if (turn.signal.aborted) onAbort();
    else {
      turn.signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => turn.signal.removeEventListener('abort', onAbort));
    }
    const timer = setTimeout(() => proc.stop('timeout'), turn.timeoutMs);
    cleanups.push(() => clearTimeout(timer));

    for (const line of turn.lines) if (!proc.writeLine(line)) break;
  });
}

function answered(
  result: CliResultRecord,
  translator: StreamJsonToSse | null,
  sse: SseResponse | null,
  sessionId: string | null,
  requestedModel: string | null,
): TurnOutcome {
  if (translator) {
    // The answer is complete: close the stream now; the process stays up for the next turn.
    translator.finish(result);
    sse?.end();
    return { kind: 'answered', cliSessionId: sessionId, answer: translator.answer(), message: null, result };
  }
  const message = messageFromResult(result, requestedModel);
  return { kind: 'answered', cliSessionId: sessionId, answer: { role: 'assistant', content: message.content }, message, result };
}

function facts(turn: WarmTurnRequest, exit: CliExit, result: CliResultRecord | null, stdoutHead: string): RunFacts {
  return {
    exit,
    result,
    stdoutHead,
    command: turn.command,
    timeoutMs: turn.timeoutMs,
    protocolError: exit.kind === 'exited' && exit.stoppedBy === 'protocol' ? 'a line of CLI output was too long' : null,
  };
}
