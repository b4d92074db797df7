import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { inject, injectable } from 'tsyringe';
import { applyCredentialPlan } from '../credentials/apply-credential-plan';
import { isCredentialUnavailable, type CredentialPlanner } from '../credentials/credential-planner';
import { HeaderName } from '../http/header-names';
import { rawPathAndQuery, splitPathAndQuery, toWebHeaders } from '../http/node-headers';
import { newRequestId } from '../http/request-id';
import { endSocketWithResponse, writeSocketHead } from '../http/socket-response';
import { errorMessage } from '../log/error-message';
import type { Logger } from '../log/logger';
import type { ProviderRegistry } from '../providers/provider-registry';
import { formatRouteHeader } from '../routing/route-header';
import type { RouteResolver } from '../routing/route-resolver';
import { apiErrorBody, apiShapeFor } from '../server/api-errors';
import type { GuardRejection } from '../server/loopback-guard';
import { TOKENS } from '../tokens';
import { clientResponseHeaders, upstreamRequestHeaders, withoutHeader } from './forward-headers';

/**
 * Proxies HTTP upgrades (Codex opens a WebSocket on `GET …/responses` before falling back
 * to HTTPS): the same guard, routing decision and credential plan as a POST, then the
 * two sockets are piped together and frames flow both ways untouched.
 */
@injectable()
export class UpgradeForwarder {
  constructor(
    @inject(TOKENS.RouteResolver) private readonly resolver: RouteResolver,
    @inject(TOKENS.CredentialPlanner) private readonly planner: CredentialPlanner,
    @inject(TOKENS.ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  async handle(incoming: IncomingMessage, client: Duplex, head: Buffer, guard: (headers: IncomingMessage['headers']) => GuardRejection | null): Promise<void> {
    const requestId = newRequestId();
    const [path, search] = splitPathAndQuery(incoming.url ?? '/');
    const headers = toWebHeaders(incoming.headers);
    const shape = apiShapeFor(path, headers);
    const idHeader = [HeaderName.tokenpakRequestId, requestId];
    const fail = (status: number, message: string, extra: readonly string[] = []): void =>
      endSocketWithResponse(client, status, [...idHeader, ...extra, HeaderName.contentType, 'application/json', HeaderName.tokenpakError, '1'], apiErrorBody(shape, { status, message }));
    client.on('error', () => client.destroy());

    const rejection = guard(incoming.headers);
    if (rejection) return fail(rejection.status, rejection.message);
    if (!path.startsWith('/v1/') && !this.providers.claimsPath(path)) return fail(404, `TokenPak does not serve ${path}`);

    const request = { method: incoming.method ?? 'GET', path, search, headers };
    const decision = this.resolver.decide(request, this.resolver.inspect(request));
    const routeHeader = [HeaderName.tokenpakRoute, formatRouteHeader(decision)];
    if (decision.via !== 'http' || !decision.upstreamUrl) return fail(400, `${path} cannot be opened as a WebSocket on this route`, routeHeader);

    let outgoingHeaders = upstreamRequestHeaders(incoming.rawHeaders, new URL(decision.upstreamUrl).host, decision.controlHeaders);
    if (this.planner.needsPlan(decision)) {
      try {
        outgoingHeaders = applyCredentialPlan(outgoingHeaders, await this.planner.planFor(decision, { path, headers }));
      } catch (error) {
        if (isCredentialUnavailable(error)) return fail(401, `${error.message}; ${error.hint}`, routeHeader);
        throw error;
      }
    }
    outgoingHeaders.push('Connection', 'Upgrade', 'Upgrade', String(incoming.headers.upgrade ?? 'websocket'));
    this.connect(decision.upstreamUrl, outgoingHeaders, client, head, [...idHeader, ...routeHeader], fail);
  }

  private connect(
    upstreamUrl: string,
    headers: string[],
    client: Duplex,
    head: Buffer,
    addedHeaders: readonly string[],
    fail: (status: number, message: string, extra?: readonly string[]) => void,
  ): void {
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
    upstream.on('upgrade', (response, upstreamSocket, upstreamHead) => {
      writeSocketHead(client, response.statusCode ?? 101, response.statusMessage, [...response.rawHeaders, ...addedHeaders]);
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      upstreamSocket.on('error', () => client.destroy());
      client.on('close', () => upstreamSocket.destroy());
      upstreamSocket.on('close', () => client.destroy());
      upstreamSocket.pipe(client);
      client.pipe(upstreamSocket);
    });
    // The upstream declined the upgrade: relay its answer as a plain response.
    upstream.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const relayed = withoutHeader(clientResponseHeaders(response.rawHeaders, addedHeaders), HeaderName.contentLength);
        endSocketWithResponse(client, response.statusCode ?? 502, relayed, Buffer.concat(chunks));
      });
    });
    upstream.on('error', (error) => {
      this.logger.warn('upstream WebSocket connection failed', { upstream: target.origin, error: errorMessage(error) });
      fail(502, `TokenPak could not reach the upstream ${target.origin}: ${errorMessage(error)}`);
    });
    client.on('close', () => upstream.destroy());
    upstream.end();
  }
}
