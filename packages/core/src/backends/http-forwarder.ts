import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { injectable, inject } from 'tsyringe';
import { applyCredentialPlan } from '../credentials/apply-credential-plan';
import type { CredentialPlan } from '../credentials/types';
import { HeaderName } from '../http/header-names';
import type { RequestMeter } from '../ledger/request-meter';
import type { Logger } from '../log/logger';
import { apiErrorEvent, writeApiError, type ApiShape } from '../server/api-errors';
import { TOKENS } from '../tokens';
import { flatToRecord, rawPathAndQuery } from '../http/node-headers';
import { clientResponseHeaders, upstreamRequestHeaders } from './forward-headers';
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
}

/**
 * Byte-preserved HTTP forward (ARCHITECTURE §2.5). Node streams end to end: the
 * incoming request is piped into a `node:http(s)` request on a keep-alive agent and the
 * upstream response is piped back, so bodies stream both ways with backpressure and
 * `content-encoding` survives. Nothing here parses or re-serialises a body.
 */
@injectable()
export class HttpForwarder {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });

  constructor(@inject(TOKENS.Logger) private readonly logger: Logger) {}

  forward(request: ForwardRequest): void {
    const { incoming, outgoing, shape } = request;
    const target = new URL(request.upstreamUrl);
    const secure = target.protocol === 'https:';
    const upstream = (secure ? https : http).request({
      protocol: target.protocol,
      hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
      port: target.port || (secure ? 443 : 80),
      method: incoming.method,
      path: rawPathAndQuery(request.upstreamUrl),
      headers: request.credentialPlan
        ? applyCredentialPlan(upstreamRequestHeaders(incoming.rawHeaders, target.host), request.credentialPlan)
        : upstreamRequestHeaders(incoming.rawHeaders, target.host),
      agent: secure ? this.httpsAgent : this.httpAgent,
    });

    let responded = false;
    let clientGone = false;
    const failBeforeResponse = (error: Error): void => {
      if (responded) return;
      responded = true;
      if (clientGone) {
        // We aborted the upstream request ourselves because the client left: not an upstream failure.
        this.logger.debug('client disconnected before the upstream answered', { upstream: target.origin });
        return;
      }
      request.meter?.noteError('upstream_unreachable');
      incoming.unpipe(upstream);
      this.logger.warn('upstream request failed', { upstream: target.origin, error: describe(error) });
      writeApiError(
        outgoing,
        shape,
        { status: 502, message: `TokenPak could not reach the upstream ${target.origin}: ${describe(error)}`, code: 'upstream_unreachable' },
        { ...flatToRecord(request.responseHeaders), ...(incoming.complete ? {} : { connection: 'close' }) },
      );
    };
    upstream.on('error', failBeforeResponse);
    // A 101 nobody asked for: 502, never relayed (with Upgrade headers Node emits `upgrade`, without them `response`).
    const refuseUnrequestedUpgrade = (): void => {
      if (responded) return;
      responded = true;
      incoming.unpipe(upstream);
      upstream.destroy();
      answerUnrequestedUpgrade(request, target.origin, this.logger);
    };
    upstream.on('upgrade', (_response, socket) => {
      socket.destroy();
      refuseUnrequestedUpgrade();
    });

    upstream.on('response', (upstreamResponse) => {
      if (upstreamResponse.statusCode === 101) return refuseUnrequestedUpgrade();
      responded = true;
      outgoing.writeHead(
        upstreamResponse.statusCode ?? 502,
        upstreamResponse.statusMessage,
        clientResponseHeaders(upstreamResponse.rawHeaders, request.responseHeaders),
      );
      // SSE: the status line goes out now, not with the first event (which may be a while).
      if (String(upstreamResponse.headers[HeaderName.contentType] ?? '').includes('text/event-stream')) outgoing.flushHeaders();
      upstreamResponse.pipe(outgoing);
      // Registered after the pipe, so the meter sees each chunk only once it is on its way to the client.
      request.meter?.watchResponseBody(upstreamResponse);
      upstreamResponse.on('close', () => {
        if (!upstreamResponse.complete) {
          request.meter?.noteError('upstream_truncated');
          this.failMidStream(upstreamResponse, outgoing, shape, target.origin);
        }
      });
    });

    // The client went away: stop the upstream work it asked for.
    outgoing.on('close', () => {
      if (outgoing.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
    incoming.on('error', () => upstream.destroy());

    if (request.bodyPrefix && request.bodyPrefix.length > 0) upstream.write(request.bodyPrefix);
    if (incoming.complete && incoming.readableEnded) upstream.end();
    else incoming.pipe(upstream);
    request.meter?.watchRequestBody(incoming, request.bodyPrefix);
  }

  /** The upstream died after the response started: the client must see an error, never a clean end. */
  private failMidStream(upstreamResponse: IncomingMessage, outgoing: ServerResponse, shape: ApiShape, origin: string): void {
    upstreamResponse.unpipe(outgoing);
    this.logger.warn('upstream response ended early', { upstream: origin });
    if (outgoing.writableEnded || outgoing.destroyed) return;
    const contentType = String(upstreamResponse.headers[HeaderName.contentType] ?? '');
    const chunked = !upstreamResponse.headers[HeaderName.contentLength];
    if (contentType.includes('text/event-stream') && chunked) {
      outgoing.end(apiErrorEvent(shape, { status: 502, message: `the upstream ${origin} closed the stream before it finished`, type: shape === 'anthropic' ? 'api_error' : 'server_error' }));
    } else {
      // No in-band way to signal it: cut the connection so the body is visibly truncated.
      outgoing.destroy(new Error('upstream response ended early'));
    }
  }

  /** Closes pooled upstream connections (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code}${error.message && !error.message.includes(code) ? ` (${error.message})` : ''}` : error.message;
}
