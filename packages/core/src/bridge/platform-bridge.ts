import { inject, injectable } from 'tsyringe';
import { errorMessage } from '../log/error-message';
import type { Logger } from '../log/logger';
import { redactText } from '../log/redact';
import { TOKENS } from '../di-tokens';
import type { Disposer, PlatformMatch, PlatformSignal, SignalRequest } from './types';

interface Registration {
  signal: PlatformSignal;
  /** Registration order, kept when a signal is replaced in place. */
  sequence: number;
}

/**
 * The registry platform signals are registered on and that routing reads.
 * One instance per container; nothing here is module-global.
 */
@injectable()
export class PlatformBridge {
  private registrations: Registration[] = [];
  private nextSequence = 0;
  /** Union of the registered signals' `controlHeaders` (lower-case); rebuilt on every (un)registration, read per request. */
  private controlHeaderSet: ReadonlySet<string> = new Set();
  /** Signals whose failure was already logged: a broken signal logs once, not per request. */
  private readonly reportedFailures = new Set<string>();

  constructor(@inject(TOKENS.Logger) private readonly logger: Logger) {}

  register(signal: PlatformSignal): Disposer {
    validateSignal(signal);
    const existing = this.registrations.find((registration) => registration.signal.name === signal.name);
    const registration: Registration = { signal, sequence: existing ? existing.sequence : this.nextSequence++ };
    this.registrations = this.registrations
      .filter((entry) => entry !== existing)
      .concat(registration)
      .sort(byPriority);
    this.reportedFailures.delete(signal.name);
    this.rebuildControlHeaders();
    return () => {
      this.registrations = this.registrations.filter((entry) => entry !== registration);
      this.rebuildControlHeaders();
    };
  }

  /**
   * Request headers the registered platforms use to talk to TokenPak (lower-case). They are
   * stripped before a request goes upstream, like `x-tokenpak-*`, whichever signal matched.
   */
  controlHeaders(): ReadonlySet<string> {
    return this.controlHeaderSet;
  }

  private rebuildControlHeaders(): void {
    this.controlHeaderSet = new Set(this.registrations.flatMap(({ signal }) => (signal.controlHeaders ?? []).map((name) => name.toLowerCase())));
  }

  /** Registered signals in the order they are consulted. */
  signals(): readonly PlatformSignal[] {
    return this.registrations.map((registration) => registration.signal);
  }

  /** Phase one: the first signal whose header/path check matches. */
  detect(headers: Headers, request: SignalRequest): PlatformMatch | null {
    for (const { signal } of this.registrations) {
      const origin = this.guard(signal, () => signal.extract(headers, request));
      if (origin) return { signal, origin };
    }
    return null;
  }

  /** Signals that want to see the body of this request (phase two), in consultation order. */
  bodyWanters(headers: Headers, request: SignalRequest): readonly PlatformSignal[] {
    const wanters: PlatformSignal[] = [];
    for (const { signal } of this.registrations) {
      if (signal.wantsBody && signal.extractFromBody && this.guard(signal, () => signal.wantsBody!(headers, request))) {
        wanters.push(signal);
      }
    }
    return wanters;
  }

  /** Phase two: the first of `wanters` that recognises the parsed body. */
  detectFromBody(wanters: readonly PlatformSignal[], json: unknown, headers: Headers, request: SignalRequest): PlatformMatch | null {
    for (const signal of wanters) {
      const origin = this.guard(signal, () => signal.extractFromBody!(json, headers, request));
      if (origin) return { signal, origin };
    }
    return null;
  }

  /**
   * Runs one signal hook in isolation: a throw, a malformed result or a Promise counts as
   * "no match" for this request, and the signal's first failure is logged (redacted).
   * Hooks are synchronous by contract (the decision is made once and never waits on a
   * plugin); a Promise's eventual rejection is caught so it cannot end the process.
   */
  private guard<T>(signal: PlatformSignal, run: () => T): T | null {
    try {
      const result = run();
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => this.reportFailure(signal, `its Promise rejected: ${errorMessage(error)}`));
        throw new Error('returned a Promise; signal hooks must be synchronous (the result is ignored)');
      }
      if (result && typeof result === 'object' && typeof (result as { platform?: unknown }).platform !== 'string') {
        throw new Error('returned an origin without a string "platform"');
      }
      return result ?? null;
    } catch (error) {
      this.reportFailure(signal, errorMessage(error));
      return null;
    }
  }

  /** Logs a signal's failure once per registration: a broken signal must not flood the log. */
  private reportFailure(signal: PlatformSignal, message: string): void {
    if (this.reportedFailures.has(signal.name)) return;
    this.reportedFailures.add(signal.name);
    this.logger.warn(`platform signal "${signal.name}" failed and is skipped for this request`, { error: redactText(message) });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** `x-` followed by RFC 9110 token characters. */
const CONTROL_HEADER_NAME = /^x-[!#$%&'*+.^_`|~0-9a-z-]+$/i;

function byPriority(a: Registration, b: Registration): number {
  return (b.signal.priority ?? 0) - (a.signal.priority ?? 0) || a.sequence - b.sequence;
}

function validateSignal(signal: PlatformSignal): void {
  if (!signal || typeof signal !== 'object') throw new TypeError('a platform signal must be an object');
  if (typeof signal.name !== 'string' || signal.name.trim() === '') throw new TypeError('a platform signal needs a non-empty "name"');
  if (signal.defaultProvider !== null && (typeof signal.defaultProvider !== 'string' || signal.defaultProvider.trim() === '')) {
    throw new TypeError(`platform signal "${signal.name}" needs a non-empty "defaultProvider" (or null for none)`);
  }
  if (typeof signal.extract !== 'function') throw new TypeError(`platform signal "${signal.name}" needs an "extract" function`);
  if (signal.controlHeaders !== undefined) {
    if (!Array.isArray(signal.controlHeaders)) throw new TypeError(`platform signal "${signal.name}" has a non-array "controlHeaders"`);
    for (const name of signal.controlHeaders) {
      // Only custom `x-…` names: a plugin must not be able to strip Host, credentials or framing headers.
      if (typeof name !== 'string' || !CONTROL_HEADER_NAME.test(name)) {
        throw new TypeError(`platform signal "${signal.name}": control header ${JSON.stringify(name)} must be a custom header name starting with "x-"`);
      }
    }
  }
  if (signal.priority !== undefined && !Number.isFinite(signal.priority)) {
    throw new TypeError(`platform signal "${signal.name}" has a non-numeric "priority"`);
  }
}
