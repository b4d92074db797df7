import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { inject, injectable } from 'tsyringe';
import { applyCredentialPlan } from '../credentials/apply-credential-plan';
import { isCredentialUnavailable, type CredentialPlanner } from '../credentials/credential-planner';
import { endSocketWithApiError, proxyError, type ApiShape } from '../http/api-errors';
import { HeaderName } from '../http/header-names';
import { rawPathAndQuery, splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { endSocketWithResponse, writeSocketHead } from '../http/socket-response';
import type { TunnelObserver } from '../ledger/websocket-turn-meter';
import { errorMessage } from '../log/error-message';
import type { Logger } from '../log/logger';
import type { RouteDecision } from '../decision/route-decision';
import { TOKENS } from '../di-tokens';
import { clientResponseHeaders, upstreamRequestHeaders, withoutHeader } from './forward-headers';
import { WebSocketTunnel } from './websocket-tunnel';

/** One WebSocket upgrade, handed from the server (which guarded, identified and routed it) to this backend. */
export interface UpgradeExchange {
  incoming: IncomingMessage;
  client: Duplex;
  /** Client bytes that arrived with the upgrade request. */
  head: Buffer;
  shape: ApiShape;
  /** Flat `[name, value, …]` headers every answer carries (request id, route). */
  responseHeaders: readonly string[];
  /** The status the client was sent: 101, the upstream's refusal, or TokenPak's error. */
  answered(status: number): void;
  /** An observer for the frames of an accepted upgrade; `agreedExtensions` is the upstream's `Sec-WebSocket-Extensions`. */
  observe(agreedExtensions: string | undefined): TunnelObserver | null;
  /** The tunnel, once both sockets are joined (the server closes it at shutdown). */
  opened(tunnel: WebSocketTunnel): void;
}

/**
 * Carries out a `RouteDecision` for a WebSocket upgrade (Codex opens one on `GET …/responses`
 * before falling back to HTTPS): applies the credential plan the decision calls for, opens
 * the upgrade upstream, relays the upstream's answer, and on a 101 joins the two sockets.
 * It never re-decides; the server layer made the one decision.
 */
@injectable()
export class UpgradeForwarder {
  constructor(
    @inject(TOKENS.CredentialPlanner) private readonly planner: CredentialPlanner,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async carry(decision: RouteDecision, exchange: UpgradeExchange): Promise<void> {
    const { incoming } = exchange;
    if (decision.via !== 'http' || !decision.upstreamUrl) {
      return this.fail(exchange, 'websocket_refused', `${splitPathAndQuery(incoming.url ?? '/')[0]} cannot be opened as a WebSocket on this route`);
    }
    let outgoingHeaders = upstreamRequestHeaders(incoming.rawHeaders, new URL(decision.upstreamUrl).host, decision.controlHeaders);
    if (this.planner.needsPlan(decision)) {
      try {
        const [path] = splitPathAndQuery(incoming.url ?? '/');
        outgoingHeaders = applyCredentialPlan(outgoingHeaders, await this.planner.planFor(decision, { path, headers: toWebHeaders(incoming.headers) }));
      } catch (error) {
        if (isCredentialUnavailable(error)) return this.fail(exchange, 'credential_unavailable', `${error.message}; ${error.hint}`);
        throw error;
      }
    }
    outgoingHeaders.push('Connection', 'Upgrade', 'Upgrade', String(incoming.headers.upgrade ?? 'websocket'));
    this.connect(decision.upstreamUrl, outgoingHeaders, exchange);
  }

  /** TokenPak's own refusal, in the caller's API shape. */
  private fail(exchange: UpgradeExchange, code: 'websocket_refused' | 'credential_unavailable' | 'upstream_unreachable', message: string): void {
    const error = proxyError(code, message);
    exchange.answered(error.status);
    endSocketWithApiError(exchange.client, exchange.shape, error, exchange.responseHeaders);
  }

  private connect(upstreamUrl: string, headers: string[], exchange: UpgradeExchange): void {
    const { client, head } = exchange;
    const target = new URL(upstreamUrl);
    const secure = target.protocol === 'https:';
    const upstream = (secure ? https : http).request({
      hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
      port: target.port || (secure ? 443 : 80),
      method: 'GET',
      path: rawPathAndQuery(upstreamUrl),
      headers,
      agent: false,
    });
    const dropUpstream = (): void => {
      upstream.destroy();
    };
    client.once('close', dropUpstream);
    upstream.on('upgrade', (response, upstreamSocket, upstreamHead) => {
      client.off('close', dropUpstream);
      if (client.destroyed) {
        upstreamSocket.destroy();
        return;
      }
      exchange.answered(response.statusCode ?? 101);
      writeSocketHead(client, response.statusCode ?? 101, response.statusMessage, [...response.rawHeaders, ...exchange.responseHeaders]);
      const agreed = response.headers['sec-websocket-extensions'];
      const tunnel = new WebSocketTunnel(client, upstreamSocket, exchange.observe(Array.isArray(agreed) ? agreed.join(', ') : agreed));
      exchange.opened(tunnel);
      tunnel.start(head, upstreamHead);
    });
    // The upstream declined the upgrade: relay its answer as a plain response.
    upstream.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => client.destroy());
      response.on('end', () => {
        exchange.answered(response.statusCode ?? 502);
        const relayed = withoutHeader(clientResponseHeaders(response.rawHeaders, exchange.responseHeaders), HeaderName.contentLength);
        endSocketWithResponse(client, response.statusCode ?? 502, relayed, Buffer.concat(chunks));
      });
    });
    upstream.on('error', (error) => {
      if (client.destroyed) return;
      this.logger.warn('upstream WebSocket connection failed', { upstream: target.origin, error: errorMessage(error) });
      this.fail(exchange, 'upstream_unreachable', `TokenPak could not reach the upstream ${target.origin}: ${errorMessage(error)}`);
    });
    upstream.end();
  }
}
