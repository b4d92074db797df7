/** Who sent a request, as a platform signal sees it (ARCHITECTURE §2.1). */
export interface PlatformOrigin {
  /** Platform name, e.g. the plugin's platform slug. */
  platform: string;
  /** The platform's own session id, when it sends one. */
  sessionId?: string;
  /** A provider the request itself asks for; wins over the signal's default. */
  declaredProvider?: string;
  /** Which of the signal's rules chose `declaredProvider`; shown in the decision's reasons. */
  providerRule?: string;
  extra?: Readonly<Record<string, unknown>>;
}

/** What a signal may look at besides headers: never the body (that is phase two). */
export interface SignalRequest {
  method: string;
  /** Path without the query string. */
  path: string;
}

/**
 * A platform adapter's detector. Phase one (`extract`) sees headers and path only and
 * must be cheap: it runs on every request. Phase two is optional: when `wantsBody`
 * says yes, the request body is buffered (bounded by `routing.maxInspectBytes`),
 * parsed once, and offered to `extractFromBody`; the bytes are still forwarded unchanged.
 */
export interface PlatformSignal {
  /**
   * Unique name. On the bridge itself, registering the same name again replaces the earlier
   * signal; through a plugin's `ctx.bridge`, a name another plugin already holds is refused.
   */
  name: string;
  /**
   * Provider that serves this platform's traffic unless the origin declares another.
   * `null`: the signal names the platform and session only, and provider resolution
   * continues as if no signal had matched (the caller's identity is kept).
   */
  defaultProvider: string | null;
  /** Higher runs first; equal priorities keep registration order. Default 0. */
  priority?: number;
  /**
   * Must be synchronous: routing is decided once, before any byte goes upstream, and never
   * waits on a plugin. A returned Promise counts as "no match" (its rejection is caught and
   * logged); a throw is logged once per signal and skipped.
   */
  extract(headers: Headers, request: SignalRequest): PlatformOrigin | null;
  wantsBody?(headers: Headers, request: SignalRequest): boolean;
  extractFromBody?(json: unknown, headers: Headers, request: SignalRequest): PlatformOrigin | null;
  /**
   * Request headers this platform uses to talk to TokenPak (e.g. `x-openclaw-session`):
   * read by the signal, stripped before the request goes upstream, like `x-tokenpak-*`.
   */
  controlHeaders?: readonly string[];
}

/** A detection result: the origin and the signal that produced it. */
export interface PlatformMatch {
  signal: PlatformSignal;
  origin: PlatformOrigin;
}

export type Disposer = () => void;
