import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { TokenPakConfig, UpstreamTimeouts } from '../config/schema';
import type { Deadline, DeadlineSweep } from './deadline-sweep';

/** `providers.<name>.timeouts` for a provider the config does not list (same as the schema's defaults). */
export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = Object.freeze({ connectMs: 10_000, headersMs: 600_000, idleMs: 300_000 });

/** The timeouts that apply to `provider` (its own, else the defaults). */
export function timeoutsOf(config: TokenPakConfig, provider: string | null): UpstreamTimeouts {
  return (provider ? config.providers[provider]?.timeouts : undefined) ?? DEFAULT_UPSTREAM_TIMEOUTS;
}

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
    super(
      `no ${phase === 'connect' ? 'connection' : phase === 'headers' ? 'response headers' : 'response bytes'} within timeouts.${SETTING[phase]} (${limitMs} ms)`,
    );
  }
}

/** The connect and headers timers of one upstream attempt. */
export interface RequestTimers {
  /** A request body byte went out: the headers wait counts from the last one. */
  bodySent(): void;
  /** The response arrived or the attempt ended. */
  stop(): void;
}

/**
 * Arms the connect and headers deadlines of one upstream attempt on `sweep`. `connectMs`
 * runs from the moment a new socket is assigned until it is connected (TCP, and TLS for
 * `secure`; a reused pooled socket has nothing to wait for); `headersMs` from the last
 * request byte sent (a slow upload is bounded by `idleMs` instead) until the response
 * headers. On expiry the request is destroyed with an `UpstreamTimeoutError`.
 */
export function armRequestTimeouts(upstream: ClientRequest, timeouts: UpstreamTimeouts, secure: boolean, sweep: DeadlineSweep): RequestTimers {
  const headers = sweep.deadline(() => upstream.destroy(new UpstreamTimeoutError('headers', timeouts.headersMs))).start(timeouts.headersMs);
  let connect: Deadline | null = null;
  if (timeouts.connectMs > 0) {
    upstream.once('socket', (socket: Socket) => {
      if (upstream.reusedSocket) return;
      const pending = sweep.deadline(() => upstream.destroy(new UpstreamTimeoutError('connect', timeouts.connectMs))).start(timeouts.connectMs);
      connect = pending;
      // A TLS connection is usable once its handshake is done, not when TCP connects.
      socket.once(secure ? 'secureConnect' : 'connect', () => pending.stop());
    });
  }
  return {
    bodySent: () => headers.touch(),
    stop: () => {
      connect?.stop();
      headers.stop();
    },
  };
}
