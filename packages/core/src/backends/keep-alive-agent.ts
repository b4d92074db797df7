import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How long before an upstream's announced `Keep-Alive: timeout` an idle socket is retired. */
const RETIRE_MARGIN_MS = 1000;

/** `Keep-Alive: timeout=N` → N seconds in ms, or null (RFC 9112 §9.3 leaves it to `Keep-Alive`, draft-thomson-hybi-http-timeout). */
export function keepAliveTimeoutMs(value: string | string[] | undefined): number | null {
  const match = typeof value === 'string' ? /(?:^|[\s,])timeout=(\d+)/i.exec(value) : null;
  return match ? Number(match[1]) * 1000 : null;
}

/**
 * Node's agent reads the upstream's `Keep-Alive: timeout=N` hint only to shorten an agent
 * timeout, and ours has none (idle pooled sockets otherwise live until the upstream closes
 * them — the race that turns a reused socket into `ECONNRESET`). These agents retire an
 * idle socket a second before the hint says the upstream will close it.
 */
export class HintedHttpAgent extends http.Agent {
  private readonly hints = new WeakMap<Duplex, number>();

  /** Records the hint of the response just read on `socket`. */
  noteHint(socket: Socket | null, value: string | string[] | undefined): void {
    const ms = keepAliveTimeoutMs(value);
    if (socket && ms !== null) this.hints.set(socket, ms - RETIRE_MARGIN_MS);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    // Typed `void` in @types/node, but Node returns whether the socket may be kept.
    if ((super.keepSocketAlive(socket) as unknown) === false) return false;
    const idleMs = this.hints.get(socket);
    if (idleMs === undefined) return true;
    if (idleMs <= 0) return false;
    (socket as Socket).setTimeout(idleMs);
    return true;
  }
}

export class HintedHttpsAgent extends https.Agent {
  private readonly hints = new WeakMap<Duplex, number>();

  noteHint(socket: Socket | null, value: string | string[] | undefined): void {
    const ms = keepAliveTimeoutMs(value);
    if (socket && ms !== null) this.hints.set(socket, ms - RETIRE_MARGIN_MS);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    // Typed `void` in @types/node, but Node returns whether the socket may be kept.
    if ((super.keepSocketAlive(socket) as unknown) === false) return false;
    const idleMs = this.hints.get(socket);
    if (idleMs === undefined) return true;
    if (idleMs <= 0) return false;
    (socket as Socket).setTimeout(idleMs);
    return true;
  }
}
