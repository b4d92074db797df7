import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HeaderName } from '../http/header-names';
import { RequestModelTap } from '../usage/request-model-tap';
import type { ResponseObservation } from '../usage/response-observation';
import { ResponseUsageTap } from '../usage/response-usage-tap';
import { addUsage, type TokenUsage } from '../usage/token-usage';

/** What one request measured, handed to the ledger when its response closed. */
export interface Measurement {
  startedAt: number;
  ttfbMs: number | null;
  totalMs: number;
  bytesIn: number | null;
  bytesOut: number | null;
  requestModel: string | null;
  response: ResponseObservation;
  /** A failure a backend knows about that the response itself does not say (e.g. `upstream_unreachable`). */
  noted: string | null;
  /** `fallback=<provider> (<trigger>)` when the request was served by a fallback (ARCHITECTURE §7). */
  fallback?: string | null;
  /** How a backend's answer ended when the response does not say it to the usage taps (`companion: turn ended in tool_use; pending=2`). */
  outcome?: string | null;
}

/** The longest a row waits, after its response closed, for a backend still holding the meter. */
const MAX_HOLD_AFTER_CLOSE_MS = 60_000;

const elapsed = (since: number): number => Math.round((performance.now() - since) * 1000) / 1000;

/**
 * Per-request accounting. Backends hand it the streams they relay (the HTTP forwarder)
 * or the usage they know (the companion); it listens alongside the pipe — after it, so
 * every chunk is already on its way before it is looked at — and never changes a byte.
 */
export class RequestMeter {
  readonly startedAt = Date.now();
  private readonly startedTick = performance.now();
  private headersMs: number | null = null;
  private firstByteMs: number | null = null;
  private bytesIn: number | null = null;
  private bytesOut: number | null = null;
  private modelTap: RequestModelTap | null = null;
  private reportedModel: string | null = null;
  private responseTap: ResponseUsageTap | null = null;
  private reportedUsage: TokenUsage | null = null;
  private noted: string | null = null;
  private fallback: string | null = null;
  private outcome: string | null = null;
  private holds = 0;
  private whenReleased: (() => void) | null = null;

  /**
   * HTTP forward: the request body going upstream (`prefix` was read earlier for
   * inspection). The forwarder hands each later chunk to `takeRequestChunk` from its own
   * upload listener (one listener per request, not one per reader).
   */
  startRequestBody(incoming: IncomingMessage, prefix: Buffer | undefined): void {
    const encoding = incoming.headers[HeaderName.contentEncoding];
    this.modelTap = encoding && encoding !== 'identity' ? null : new RequestModelTap();
    this.bytesIn = 0;
    if (prefix && prefix.length > 0) this.takeRequestChunk(prefix);
  }

  /** A request body chunk, already on its way upstream. */
  takeRequestChunk(chunk: Buffer): void {
    this.bytesIn = (this.bytesIn ?? 0) + chunk.length;
    const tap = this.modelTap;
    if (tap !== null && !tap.done) tap.push(chunk);
  }

  /**
   * HTTP forward: the upstream's response headers arrived; its body is being piped to the
   * client. The forwarder hands each chunk to `takeResponseChunk` after the pipe has it,
   * and calls `endResponseBody` when the body ended.
   */
  startResponseBody(upstreamResponse: IncomingMessage): void {
    this.headersMs = elapsed(this.startedTick);
    this.responseTap = ResponseUsageTap.for(upstreamResponse.headers[HeaderName.contentType], upstreamResponse.headers[HeaderName.contentEncoding]);
    this.bytesOut = 0;
  }

  /** A response body chunk, already on its way to the client. */
  takeResponseChunk(chunk: Buffer): void {
    if (this.bytesOut === 0) this.firstByteMs = elapsed(this.startedTick);
    this.bytesOut = (this.bytesOut ?? 0) + chunk.length;
    this.responseTap?.push(chunk);
  }

  /** The response body ended (cleanly). */
  endResponseBody(): void {
    this.responseTap?.end();
  }

  /** A backend that is not an HTTP forward (the companion) reports the model asked for and the tokens used; repeated reports add up. */
  reportUsage(model: string | null, usage: TokenUsage | null): void {
    this.reportedModel ??= model;
    this.reportedUsage = addUsage(this.reportedUsage, usage);
  }

  /**
   * A backend that writes the response body itself (the companion): `bytes` just went to
   * the client. `content` false for keep-alive bytes (SSE pings), which count as bytes
   * out but not as the first byte of the answer.
   */
  reportBodyBytes(bytes: number, content = true): void {
    if (content) this.firstByteMs ??= elapsed(this.startedTick);
    this.bytesOut = (this.bytesOut ?? 0) + bytes;
  }

  /** A failure the backend knows of (`upstream_unreachable`, `upstream_truncated`); the first one noted wins. */
  noteError(errorType: string): void {
    this.noted ??= errorType;
  }

  /** The request moved on to a fallback provider (`fallback=<provider> (<trigger>)`); the last one wins. */
  noteFallback(note: string): void {
    this.fallback = note;
  }

  /** How the answer ended, for the row's reasons (the companion's tool turns); the last one wins. */
  noteOutcome(note: string): void {
    this.outcome = note;
  }

  /**
   * A backend that may learn usage after its response closed (the companion ends the
   * SSE stream at the CLI's result record, before the process exits) holds the meter
   * until it is done; the row waits for the release (at most a minute).
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0) this.whenReleased?.();
    };
  }

  /** Calls back with the measurement once the response tap has read everything (at once unless a compressed body is still decoding). */
  finish(callback: (measurement: Measurement) => void): void {
    const totalMs = elapsed(this.startedTick);
    const complete = (): void => {
      const observed = this.responseTap?.observation() ?? { model: null, usage: null, errorType: null };
      callback({
        startedAt: this.startedAt,
        ttfbMs: this.firstByteMs ?? this.headersMs,
        totalMs,
        bytesIn: this.bytesIn,
        bytesOut: this.bytesOut,
        requestModel: this.reportedModel ?? this.modelTap?.model() ?? null,
        response: { ...observed, usage: addUsage(observed.usage, this.reportedUsage) },
        noted: this.noted,
        fallback: this.fallback,
        outcome: this.outcome,
      });
    };
    let done = false;
    const proceed = (): void => {
      if (done) return;
      done = true;
      this.whenReleased = null;
      if (this.responseTap) this.responseTap.whenSettled(complete);
      else complete();
    };
    if (this.holds === 0) return proceed();
    this.whenReleased = proceed;
    setTimeout(proceed, MAX_HOLD_AFTER_CLOSE_MS).unref();
  }
}
