import type { HttpBindings } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What the listening socket hands each request to: one config generation's Hono app
 * (`fetch`, called by @hono/node-server with the Node request/response in `env`) and its
 * upgrade (WebSocket) handler. The server swaps it atomically on reload (ARCHITECTURE §7):
 * a request is bound to the handler that was current when it arrived, for its whole life.
 */
export interface RequestHandler {
  /**
   * The direct data-plane entry (`direct-data-plane.ts`): serves a proxied request on the raw
   * Node request/response and returns true (`onClose` then runs when its response closes), or
   * returns false for the Hono app (`fetch`).
   */
  proxy(incoming: IncomingMessage, outgoing: ServerResponse, onClose?: () => void): boolean;
  fetch(request: Request, env: HttpBindings): Response | Promise<Response>;
  /** Resolves when the upgrade was handled (or refused); rejects only on a bug, then the socket is destroyed. */
  upgrade(incoming: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}
