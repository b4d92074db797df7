import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { UpstreamTimeouts } from '../config/schema';

/** `providers.<name>.timeouts` for a provider the config does not list (same as the schema's defaults). */
export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = Object.freeze({ connectMs: 10_000, headersMs: 600_000, idleMs: 300_000 });

/** Which upstream wait ran out (ARCHITECTURE §7). */
export type TimeoutPhase = 'connect' | 'headers' | 'idle';

const SETTING: Readonly<Record<TimeoutPhase, keyof UpstreamTimeouts>> = { connect: 'connectMs', headers: 'headersMs', idle: 'idleMs' };

/** The error an upstream request or response is destroyed with when a `providers.<name>.timeouts` limit ran out. */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
  constructor(
    readonly phase: TimeoutPhase,
    readonly limitMs: number,
  ) {
    super(`no ${phase === 'connect' ? 'connection' : phase === 'headers' ? 'response headers' : 'response bytes'} within timeouts.${SETTING[phase]} (${limitMs} ms)`);
  }
}

/**
 * Arms the connect and headers timers of one upstream attempt. `connectMs` runs from the
 * moment a new socket starts connecting until it is connected (a reused pooled socket has
 * nothing to wait for); `headersMs` from the request's start until its response headers.
 * On expiry the request is destroyed with an `UpstreamTimeoutError`. Returns a function that
 * disarms both (call it when the response arrived or the attempt ended).
 */
export function armRequestTimeouts(upstream: ClientRequest, timeouts: UpstreamTimeouts): () => void {
  let connectTimer: NodeJS.Timeout | undefined;
  const headersTimer =
    timeouts.headersMs > 0 ? setTimeout(() => upstream.destroy(new UpstreamTimeoutError('headers', timeouts.headersMs)), timeouts.headersMs) : undefined;
  if (timeouts.connectMs > 0) {
    upstream.once('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => upstream.destroy(new UpstreamTimeoutError('connect', timeouts.connectMs)), timeouts.connectMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
  }
  return () => {
    clearTimeout(connectTimer);
    clearTimeout(headersTimer);
  };
}

/**
 * An inactivity timer for a stream of chunks: `onIdle` runs when `idleMs` pass with no
 * `touch()`. Refreshing re-uses one timer (no allocation per chunk). `idleMs` 0 = never.
 */
export class IdleTimer {
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(idleMs: number, onIdle: () => void) {
    this.timer = idleMs > 0 ? setTimeout(onIdle, idleMs) : undefined;
  }

  touch(): void {
    this.timer?.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
