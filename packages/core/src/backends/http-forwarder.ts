import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { injectable, inject } from 'tsyringe';
import type { UpstreamTimeouts } from '../config/schema';
import { applyCredentialPlan } from '../credentials/apply-credential-plan';
import type { CredentialPlan } from '../credentials/types';
import { HeaderName } from '../http/header-names';
import type { RequestMeter } from '../ledger/request-meter';
import type { Logger } from '../log/logger';
import { apiErrorEvent, writeApiError, type ApiShape } from '../http/api-errors';
import { TOKENS } from '../di-tokens';
import { flatToRecord, rawPathAndQuery } from '../http/node-headers';
import { statusTrigger, type FallbackChain } from './fallback-chain';
import { clientResponseHeaders, upstreamRequestHeaders } from './forward-headers';
import { HintedHttpAgent, HintedHttpsAgent } from './keep-alive-agent';
import { RequestBodyKeeper } from './request-body-keeper';
import { ResponseBodyRelay } from './response-body-relay';
import { armRequestTimeouts, DEFAULT_UPSTREAM_TIMEOUTS, UpstreamTimeoutError, type RequestTimers } from './upstream-timeout';
import { DeadlineSweep } from './deadline-sweep';
import { UpstreamTargets } from './upstream-targets';
import { answerUnrequestedUpgrade } from './unrequested-upgrade';

export interface ForwardRequest {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  /** Absolute upstream URL (path and query included), from the route decision. */
  upstreamUrl: string;
  /** Error format the caller understands. */
  shape: ApiShape;
  /** Flat `[name, value, …]` headers TokenPak adds to the client response. */
  responseHeaders: readonly string[];
  /** Body bytes already read from `incoming` (for inspection); sent first, then the rest of `incoming`. */
  bodyPrefix?: Buffer;
  /** Credential changes the decision's credential source asks for (none: the caller's own, untouched). */
  credentialPlan?: CredentialPlan;
  /** The ledger's per-request meter: it reads copies of the bytes after they were passed on. */
  meter?: RequestMeter;
  /** Plugin-declared control headers (the decision's `controlHeaders`): stripped like `x-tokenpak-*`. */
  controlHeaders?: ReadonlySet<string>;
  /** `providers.<name>.timeouts` of the decided provider (default: the schema's defaults). */
  timeouts?: UpstreamTimeouts;
  /** Bodies up to this many bytes are kept while sent, for one safe retry or a fallback (`routing.retryBufferBytes`; default 0: only an inspected body). */
  retryBufferBytes?: number;
  /** The request's `providers.<name>.fallback` walk; absent: no fallback. */
  fallback?: FallbackChain;
  /** The whole body, already read by another backend (the companion, falling back): sent instead of reading `incoming`. */
  heldBody?: readonly Buffer[];
}

/** One upstream try: where, and how the body goes. */
interface Attempt {
  upstreamUrl: string;
  credentialPlan?: CredentialPlan;
  timeouts: UpstreamTimeouts;
  /** Kept body chunks to send; absent: stream the client's body (first try). */
  body?: readonly Buffer[];
  /** A new connection, never a pooled one (the safe retry). */
  fresh: boolean;
}

/** What one client exchange learned across its attempts. */
interface ExchangeState {
  readonly request: ForwardRequest;
  readonly keeper: RequestBodyKeeper | null;
  /** The upstream request of the attempt in progress. */
  current: ClientRequest | null;
  /** The client response started (or an error was written): no more attempts. */
  responded: boolean;
  clientGone: boolean;
  retried: boolean;
  responseHeaders: readonly string[];
  /** The timers of the attempt that streams the client's upload (its headers wait counts from the last byte). */
  uploadTimers: RequestTimers | null;
}

/** Errors that mean a reused keep-alive connection was already closed by the upstream (the close race). */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

const KEEP_ALIVE = 'keep-alive';

/** Upstream error bodies up to this size are drained (keeping the socket) when a fallback discards them; larger ones cost the socket. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * Byte-preserved HTTP forward (ARCHITECTURE §2.5) with the failure semantics of §7. Node
 * streams end to end: the incoming request is piped into a `node:http(s)` request on a
 * keep-alive agent and the upstream response is relayed back (`ResponseBodyRelay`), so bodies stream both ways
 * with backpressure and `content-encoding` survives. Before the first response byte a
 * failure may be retried once (a reused connection lost in the close race) or fall back
 * to another provider, both only with the whole body kept; after it, the client sees an
 * SSE `event: error` on an event boundary, or a cut connection — never a second attempt.
 */
@injectable()
export class HttpForwarder {
  private readonly httpAgent = new HintedHttpAgent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });
  private readonly httpsAgent = new HintedHttpsAgent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });
  /** Every timeout of every exchange, on one timer (see `DeadlineSweep`). */
  private readonly deadlines = new DeadlineSweep();
  private readonly targets = new UpstreamTargets();

  constructor(@inject(TOKENS.Logger) private readonly logger: Logger) {}

  forward(request: ForwardRequest): void {
    const { incoming, outgoing, meter } = request;
    const timeouts = request.timeouts ?? DEFAULT_UPSTREAM_TIMEOUTS;
    const uploading = !request.heldBody && !incoming.readableEnded;
    const keeper = request.heldBody ? null : new RequestBodyKeeper(incoming, request.bodyPrefix, request.retryBufferBytes ?? 0, false);
    const state: ExchangeState = {
      request,
      keeper,
      current: null,
      responded: false,
      clientGone: false,
      retried: false,
      responseHeaders: request.responseHeaders,
      uploadTimers: null,
    };

    // The client went away: stop the upstream work it asked for.
    outgoing.on('close', () => {
      if (outgoing.writableFinished) return;
      state.clientGone = true;
      state.current?.destroy();
    });

    if (!request.heldBody) {
      incoming.on('error', () => state.current?.destroy());
      meter?.startRequestBody(incoming, request.bodyPrefix);
      if (uploading) this.watchUpload(state, timeouts.idleMs);
    }
    this.attempt(state, { upstreamUrl: request.upstreamUrl, credentialPlan: request.credentialPlan, timeouts, body: request.heldBody, fresh: false });
  }

  /** Closes pooled upstream connections (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.deadlines.close();
  }

  private attempt(state: ExchangeState, attempt: Attempt): void {
    const { incoming } = state.request;
    const target = this.targets.of(attempt.upstreamUrl);
    const secure = target.secure;
    const headers = upstreamRequestHeaders(incoming.rawHeaders, target.host, state.request.controlHeaders);
    const upstream = (secure ? https : http).request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: incoming.method,
      path: rawPathAndQuery(attempt.upstreamUrl),
      headers: attempt.credentialPlan ? applyCredentialPlan(headers, attempt.credentialPlan) : headers,
      agent: attempt.fresh ? false : secure ? this.httpsAgent : this.httpAgent,
    });
    state.current = upstream;
    const timers = armRequestTimeouts(upstream, attempt.timeouts, secure, this.deadlines);
    const disarm = timers.stop;

    upstream.on('error', (error: Error) => {
      disarm();
      if (state.responded || state.current !== upstream) return;
      if (state.clientGone) {
        // We aborted the upstream request ourselves because the client left: not an upstream failure.
        this.logger.debug('client disconnected before the upstream answered', { upstream: target.origin });
        return;
      }
      incoming.unpipe(upstream);
      this.failedBeforeResponse(state, attempt, upstream, target.origin, error);
    });

    // A 101 nobody asked for: 502, never relayed (with Upgrade headers Node emits `upgrade`, without them `response`).
    const refuseUnrequestedUpgrade = (): void => {
      disarm();
      if (state.current !== upstream || state.clientGone || state.responded) return;
      state.responded = true;
      incoming.unpipe(upstream);
      upstream.destroy();
      answerUnrequestedUpgrade(state.request, target.origin, this.logger);
    };
    upstream.on('upgrade', (_response, socket) => {
      socket.destroy();
      refuseUnrequestedUpgrade();
    });

    upstream.on('response', (upstreamResponse) => {
      if (upstreamResponse.statusCode === 101) {
        upstreamResponse.destroy();
        return refuseUnrequestedUpgrade();
      }
      disarm();
      if (state.current !== upstream || state.clientGone || state.responded) {
        upstreamResponse.destroy();
        return;
      }
      const trigger = statusTrigger(upstreamResponse.statusCode);
      if (trigger && state.request.fallback?.handles(trigger) && this.bodyWhole(state)) {
        const step = state.request.fallback.next(trigger);
        if (step) {
          this.logger.warn(`upstream answered ${upstreamResponse.statusCode}; trying the fallback`, { upstream: target.origin, fallback: step.note });
          discard(upstreamResponse);
          const status = upstreamResponse.statusCode ?? 0;
          this.moveTo(state, step.note, step.responseHeaders, { upstreamUrl: step.upstreamUrl, timeouts: step.timeouts, fresh: false }, () =>
            this.fail(state, target.origin, new Error(`the upstream answered ${status} and the body could not be sent again`)),
          );
          return;
        }
      }
      (secure ? this.httpsAgent : this.httpAgent).noteHint(upstreamResponse.socket, upstreamResponse.headers[KEEP_ALIVE]);
      this.relay(state, attempt, upstreamResponse, target.origin);
    });

    if (attempt.body) {
      for (const chunk of attempt.body) upstream.write(chunk);
      upstream.end();
      return;
    }
    const prefix = state.request.bodyPrefix;
    if (prefix && prefix.length > 0) upstream.write(prefix);
    if (incoming.complete && incoming.readableEnded) {
      upstream.end();
    } else {
      state.uploadTimers = timers;
      incoming.pipe(upstream);
    }
  }

  /** Before any response byte: one safe retry, else a fallback, else an error in the caller's shape. */
  private failedBeforeResponse(state: ExchangeState, attempt: Attempt, upstream: ClientRequest, origin: string, error: Error): void {
    const timedOut = error instanceof UpstreamTimeoutError;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!timedOut && upstream.reusedSocket && !state.retried && CONNECTION_LOST.has(code) && this.bodyKeepable(state)) {
      state.retried = true;
      this.logger.debug('reused upstream connection was closed; sending once more on a fresh one', { upstream: origin, error: describe(error) });
      this.resend(state, { ...attempt, fresh: true }, () => this.fail(state, origin, error));
      return;
    }
    const step = this.bodyKeepable(state) ? state.request.fallback?.next(timedOut ? 'timeout' : 'connect_error') : null;
    if (step) {
      this.logger.warn('upstream request failed; trying the fallback', { upstream: origin, error: describe(error), fallback: step.note });
      this.moveTo(state, step.note, step.responseHeaders, { upstreamUrl: step.upstreamUrl, timeouts: step.timeouts, fresh: false }, () =>
        this.fail(state, origin, error),
      );
      return;
    }
    this.fail(state, origin, error);
  }

  private moveTo(state: ExchangeState, note: string, responseHeaders: readonly string[], attempt: Attempt, otherwise: () => void): void {
    state.responseHeaders = responseHeaders;
    state.request.meter?.noteFallback(note);
    this.resend(state, attempt, otherwise);
  }

  /** Sends the kept body to `attempt` once the upload is whole; `otherwise` when it never will be. */
  private resend(state: ExchangeState, attempt: Attempt, otherwise: () => void): void {
    if (state.request.heldBody) {
      try {
        this.attempt(state, { ...attempt, body: state.request.heldBody });
      } catch (error) {
        this.fail(state, new URL(attempt.upstreamUrl).origin, error instanceof Error ? error : new Error(String(error)));
      }
      return;
    }
    const keeper = state.keeper!;
    const { incoming } = state.request;
    // Unpiped, the upload would pause: let it run into the keeper.
    if (!incoming.readableEnded) incoming.resume();
    state.current = null;
    keeper
      .wholeBody()
      .then((body) => {
        if (state.clientGone) return;
        if (body) this.attempt(state, { ...attempt, body });
        else otherwise();
      })
      // `http.request` throws on what it cannot send; outside the dispatcher's try, that must still become an answer.
      .catch((error: unknown) => this.fail(state, new URL(attempt.upstreamUrl).origin, error instanceof Error ? error : new Error(String(error))));
  }

  private bodyKeepable(state: ExchangeState): boolean {
    return state.request.heldBody !== undefined || state.keeper!.keeping;
  }

  private bodyWhole(state: ExchangeState): boolean {
    return state.request.heldBody !== undefined || state.keeper!.whole;
  }

  /** No answer came: 504 for a timeout, 502 otherwise, in the caller's shape. */
  private fail(state: ExchangeState, origin: string, error: Error): void {
    if (state.responded || state.clientGone) return;
    state.responded = true;
    const { request } = state;
    const timedOut = error instanceof UpstreamTimeoutError;
    request.meter?.noteError(timedOut ? 'upstream_timeout' : 'upstream_unreachable');
    this.logger.warn(timedOut ? 'upstream timed out' : 'upstream request failed', { upstream: origin, error: describe(error) });
    const upload = request.heldBody ? null : request.incoming;
    writeApiError(
      request.outgoing,
      request.shape,
      timedOut
        ? {
            status: 504,
            message: `the upstream ${origin} sent ${describe(error)}`,
            type: request.shape === 'anthropic' ? 'timeout_error' : undefined,
            code: 'upstream_timeout',
          }
        : { status: 502, message: `TokenPak could not reach the upstream ${origin}: ${describe(error)}`, code: 'upstream_unreachable' },
      { ...flatToRecord(state.responseHeaders), ...(upload && !upload.complete ? { connection: 'close' } : {}) },
    );
  }

  /** Pipes the upstream answer to the client: from here on, no retry and no fallback. */
  private relay(state: ExchangeState, attempt: Attempt, upstreamResponse: IncomingMessage, origin: string): void {
    state.responded = true;
    state.keeper?.release();
    const { outgoing, meter } = state.request;
    outgoing.writeHead(
      upstreamResponse.statusCode ?? 502,
      upstreamResponse.statusMessage,
      clientResponseHeaders(upstreamResponse.rawHeaders, state.responseHeaders),
    );
    const sse = String(upstreamResponse.headers[HeaderName.contentType] ?? '').includes('text/event-stream');
    const encoding = upstreamResponse.headers[HeaderName.contentEncoding];

    let timedOut: UpstreamTimeoutError | null = null;
    const idle = this.deadlines
      .deadline(() => {
        timedOut = new UpstreamTimeoutError('idle', attempt.timeouts.idleMs);
        upstreamResponse.destroy();
      })
      .start(attempt.timeouts.idleMs);
    meter?.startResponseBody(upstreamResponse);
    // Compressed SSE has no visible event boundaries (and zstd no decoder in Node 20): relayed untouched. The watcher
    // sees each chunk only once it is on its way to the client.
    const body = new ResponseBodyRelay(
      upstreamResponse,
      outgoing,
      sse && (!encoding || encoding === 'identity'),
      meter
        ? (chunk) => {
            idle.touch();
            meter.takeResponseChunk(chunk);
          }
        : () => idle.touch(),
    );
    // SSE: the status line must not wait for the first event (which may be a while). Usually that event came in the
    // same read as the headers and carries them out; only when nothing was written by the next turn are they flushed
    // alone (an extra write per stream otherwise: measured ~10% of an SSE request's CPU).
    if (sse) {
      setImmediate(() => {
        if (!body.relayedAny && !outgoing.writableEnded && !outgoing.destroyed) outgoing.flushHeaders();
      });
    }
    if (meter) upstreamResponse.once('end', () => meter.endResponseBody());
    upstreamResponse.on('error', () => undefined);
    upstreamResponse.on('close', () => {
      idle.stop();
      if (upstreamResponse.complete || state.clientGone) return;
      meter?.noteError(timedOut ? 'upstream_timeout' : 'upstream_truncated');
      this.failMidStream(state, upstreamResponse, body, origin, timedOut);
    });
  }

  /** The upstream died (or went quiet) after the response started: the client must see an error, never a clean end. */
  private failMidStream(
    state: ExchangeState,
    upstreamResponse: IncomingMessage,
    body: ResponseBodyRelay,
    origin: string,
    timedOut: UpstreamTimeoutError | null,
  ): void {
    const { outgoing, shape } = state.request;
    body.stop();
    this.logger.warn(timedOut ? 'upstream response stalled' : 'upstream response ended early', {
      upstream: origin,
      ...(timedOut ? { error: timedOut.message } : {}),
    });
    if (outgoing.writableEnded || outgoing.destroyed || state.clientGone) return;
    const frame = apiErrorEvent(
      shape,
      timedOut
        ? {
            code: 'upstream_timeout',
            status: 504,
            message: `the upstream ${origin} sent ${timedOut.message}`,
            type: shape === 'anthropic' ? 'timeout_error' : 'server_error',
          }
        : {
            code: 'upstream_truncated',
            status: 502,
            message: `the upstream ${origin} closed the stream before it finished`,
            type: shape === 'anthropic' ? 'api_error' : 'server_error',
          },
    );
    if (body.alignToEvents && !upstreamResponse.headers[HeaderName.contentLength]) {
      body.endWithError(frame);
    } else {
      // No in-band way to signal it: cut the connection so the body is visibly truncated.
      outgoing.destroy(new Error('upstream response ended early'));
    }
  }

  /**
   * The one listener set on the client's upload: each chunk goes to the body keeper and the
   * ledger meter, and pushes back the upload's idle limit (`idleMs` of the provider: a stalled
   * upload gets 408, or is cut) and the headers wait (which counts from the last byte sent).
   */
  private watchUpload(state: ExchangeState, idleMs: number): void {
    const { incoming, outgoing, shape, meter } = state.request;
    const keeper = state.keeper;
    const idle = this.deadlines
      .deadline(() => {
        this.logger.warn('client upload stalled', { idleMs });
        meter?.noteError('client_timeout');
        state.current?.destroy();
        if (state.responded) {
          outgoing.destroy();
          return;
        }
        state.responded = true;
        writeApiError(
          outgoing,
          shape,
          { status: 408, message: `the request body stalled for more than ${idleMs} ms`, code: 'client_timeout' },
          { ...flatToRecord(state.responseHeaders), connection: 'close' },
        );
      })
      .start(idleMs);
    const onChunk = (chunk: Buffer): void => {
      keeper?.take(chunk);
      meter?.takeRequestChunk(chunk);
      idle.touch();
      state.uploadTimers?.bodySent();
    };
    incoming.on('data', onChunk);
    incoming.once('end', () => {
      idle.stop();
      incoming.off('data', onChunk);
      keeper?.uploadEnded();
    });
    incoming.once('close', () => {
      idle.stop();
      keeper?.uploadClosed();
    });
  }
}

/** Throws away an upstream answer a fallback replaces: small bodies drain (the socket stays pooled), others cost the socket. */
function discard(response: IncomingMessage): void {
  response.on('error', () => undefined);
  const length = Number(response.headers[HeaderName.contentLength] ?? Number.NaN);
  if (Number.isFinite(length) && length <= DRAIN_LIMIT_BYTES) response.resume();
  else response.destroy();
}

function describe(error: Error): string {
  if (error instanceof UpstreamTimeoutError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code}${error.message && !error.message.includes(code) ? ` (${error.message})` : ''}` : error.message;
}
