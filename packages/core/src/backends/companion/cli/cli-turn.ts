import type { OutputFormat } from './cli-arguments';
import { describeFailure, type RunFacts } from './cli-failures';
import { CliProcess, type CliProcessSpec } from './cli-process';
import { parseCliLine, parseJsonOutput, type CliRecord, type CliResultRecord } from './cli-records';
import type { SseResponse } from '../messages/companion-responses';
import { LineSplitter } from './line-splitter';
import type { ConversationMessage } from '../messages/messages-request';
import { messageFromResult, type MessagesResponse } from '../messages/result-to-message';
import { StreamJsonToSse } from '../messages/stream-json-to-sse';

/** Output beyond this is not an answer TokenPak will hold in memory. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** How much unexpected stdout is kept to quote in an error. */
const STDOUT_HEAD_BYTES = 2048;

export interface TurnRequest {
  process: Omit<CliProcessSpec, 'onStdout'>;
  outputFormat: OutputFormat;
  /** A streaming request's SSE response (opened lazily, at the first event); null for JSON. */
  sse: SseResponse | null;
  requestedModel: string | null;
  /** Fires when the client goes away. */
  signal: AbortSignal;
  /** Registers the live process (for shutdown); returns the deregistration. */
  track(run: CliProcess): () => void;
}

export type TurnOutcome =
  | {
      kind: 'answered';
      /** The CLI session the answer lives in. */
      cliSessionId: string | null;
      /** The answer as the caller will echo it back. */
      answer: ConversationMessage;
      /** Non-streaming only: the Messages API body to send. */
      message: MessagesResponse | null;
      /** The CLI's result record (its usage goes to the request ledger). */
      result: CliResultRecord;
    }
  | {
      kind: 'failed';
      facts: RunFacts;
      /** True when the error already went to the client as an SSE event. */
      responded: boolean;
    }
  | { kind: 'aborted' };

/** What one run's stdout has told so far. */
class RunOutput {
  result: CliResultRecord | null = null;
  sessionId: string | null = null;
  /** Why the output was unusable (TokenPak stopped the run for it). */
  protocolError: string | null = null;
  /** The start of output that was not a record, to quote in an error. */
  unparsedHead = '';
  private readonly jsonChunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly splitter: LineSplitter | null,
    private readonly onRecord: (record: CliRecord) => void,
  ) {}

  /** Feeds a chunk; returns false when the output must be cut off. */
  take(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    try {
      if (this.bytes > MAX_OUTPUT_BYTES) throw new Error(`more than ${MAX_OUTPUT_BYTES} bytes of output`);
      if (this.splitter) this.splitter.push(chunk);
      else this.jsonChunks.push(chunk);
      return true;
    } catch (error) {
      this.protocolError = error instanceof Error ? error.message : String(error);
      return false;
    }
  }

  line(line: string): void {
    const record = parseCliLine(line);
    if (record) {
      if (record.type === 'system') this.sessionId ??= record.session_id;
      if (record.type === 'result') {
        this.result = record;
        if (record.session_id) this.sessionId = record.session_id;
      }
      this.onRecord(record);
    } else if (this.unparsedHead.length < STDOUT_HEAD_BYTES && line.trim() !== '') {
      this.unparsedHead += `${line.slice(0, STDOUT_HEAD_BYTES)}\n`;
    }
  }

  /** After exit: the trailing line (NDJSON), or the whole document (`--output-format json`). */
  end(): void {
    if (this.protocolError) return;
    if (this.splitter) {
      this.splitter.end();
      return;
    }
    const stdout = Buffer.concat(this.jsonChunks).toString('utf8');
    this.result = parseJsonOutput(stdout);
    if (this.result?.session_id) this.sessionId = this.result.session_id;
    if (!this.result) this.unparsedHead = stdout.slice(0, STDOUT_HEAD_BYTES);
  }
}

/**
 * One CLI run, from spawn to outcome. Streaming runs relay SSE while the CLI works and
 * close the message as soon as its result record arrives; JSON runs collect the output.
 * The caller decides what a failure means (retry, error status) unless the stream had
 * already started, in which case the error is sent here as an SSE event.
 */
export async function runCliTurn(turn: TurnRequest): Promise<TurnOutcome> {
  const { sse } = turn;
  const translator = sse ? new StreamJsonToSse(sse, turn.requestedModel) : null;
  let streamClosed = false;
  const closeStream = (result: CliResultRecord): void => {
    if (!translator || !sse || streamClosed) return;
    streamClosed = true;
    translator.finish(result);
    sse.end();
  };
  const onRecord = (record: CliRecord): void => {
    translator?.push(record);
    // The answer is complete: close the stream now rather than when the process exits.
    if (record.type === 'result' && !record.is_error) closeStream(record);
  };
  const splitter = turn.outputFormat === 'stream-json' ? new LineSplitter((line) => output.line(line), MAX_OUTPUT_BYTES) : null;
  const output = new RunOutput(splitter, onRecord);

  const run = CliProcess.start({
    ...turn.process,
    onStdout: (chunk) => {
      if (!output.protocolError && !output.take(chunk)) run.stop('protocol');
    },
  });
  sse?.setFlowControl({ pause: () => run.pauseOutput(), resume: () => run.resumeOutput() });
  const untrack = turn.track(run);
  const onAbort = (): void => run.stop('abort');
  if (turn.signal.aborted) onAbort();
  else turn.signal.addEventListener('abort', onAbort, { once: true });

  const exit = await run.exited;
  turn.signal.removeEventListener('abort', onAbort);
  untrack();
  if (exit.kind === 'exited' && exit.stoppedBy === 'abort') return { kind: 'aborted' };
  try {
    output.end();
  } catch {
    // A trailing partial line too long to be a record: it simply is not one.
  }

  const { result } = output;
  if (result && !result.is_error && !output.protocolError) {
    if (translator) {
      closeStream(result);
      return { kind: 'answered', cliSessionId: translator.sessionId ?? output.sessionId, answer: translator.answer(), message: null, result };
    }
    const message = messageFromResult(result, turn.requestedModel);
    return { kind: 'answered', cliSessionId: output.sessionId, answer: { role: 'assistant', content: message.content }, message, result };
  }

  const facts: RunFacts = {
    exit,
    result,
    stdoutHead: output.unparsedHead,
    command: turn.process.command,
    timeoutMs: turn.process.timeoutMs,
    protocolError: output.protocolError,
  };
  if (sse?.started) {
    sse.fail(describeFailure(facts));
    return { kind: 'failed', facts, responded: true };
  }
  return { kind: 'failed', facts, responded: false };
}
