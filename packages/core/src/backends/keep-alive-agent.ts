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

/** Per-socket idle limits from `Keep-Alive: timeout=N` hints: the part both agents share. */
class KeepAliveHints {
  private readonly idleMsBySocket = new WeakMap<Duplex, number>();
  /** An upstream sends the same hint on every response: it is parsed once. */
  private lastHint: { value: string; ms: number | null } | null = null;

  note(socket: Socket | null, value: string | string[] | undefined): void {
    let ms: number | null;
    if (typeof value === 'string' && this.lastHint?.value === value) ms = this.lastHint.ms;
    else {
      ms = keepAliveTimeoutMs(value);
      if (typeof value === 'string') this.lastHint = { value, ms };
    }
    if (socket && ms !== null) this.idleMsBySocket.set(socket, ms - RETIRE_MARGIN_MS);
  }

  /** Whether a socket the agent would keep (`kept`) may go back to the pool; arms its idle timeout if hinted. */
  keep(socket: Duplex, kept: unknown): boolean {
    // `keepSocketAlive` is typed `void` in @types/node, but Node returns whether the socket may be kept.
    if (kept === false) return false;
    const idleMs = this.idleMsBySocket.get(socket);
    if (idleMs === undefined) return true;
    if (idleMs <= 0) return false;
    (socket as Socket).setTimeout(idleMs);
    return true;
  }
}

/**
 * Node's agent reads the upstream's `Keep-Alive: timeout=N` hint only to shorten an agent
 * timeout, and ours has none (idle pooled sockets otherwise live until the upstream closes
 * them — the race that turns a reused socket into `ECONNRESET`). These agents retire an
 * idle socket a second before the hint says the upstream will close it.
 */
export class HintedHttpAgent extends http.Agent {
  private readonly hints = new KeepAliveHints();

  /** Records the hint of the response just read on `socket`. */
  noteHint(socket: Socket | null, value: string | string[] | undefined): void {
    this.hints.note(socket, value);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    return this.hints.keep(socket, super.keepSocketAlive(socket));
  }
}

/** `HintedHttpAgent` for TLS upstreams. */
export class HintedHttpsAgent extends https.Agent {
  private readonly hints = new KeepAliveHints();

  noteHint(socket: Socket | null, value: string | string[] | undefined): void {
    this.hints.note(socket, value);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    return this.hints.keep(socket, super.keepSocketAlive(socket));
  }
}
