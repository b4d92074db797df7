/** The outcome of `settleWithin`: the promise's value or error, or `timeout`. */
export type Settled<T> = { state: 'fulfilled'; value: T } | { state: 'rejected'; error: unknown } | { state: 'timeout' };

/**
 * Waits for `promise` at most `timeoutMs`. Never rejects, and a late rejection is absorbed
 * (an unhandled one would end the process). Used for filesystem work on `state.dir`, which
 * may sit on a stalled network mount (ARCHITECTURE §7).
 */
export function settleWithin<T>(promise: Promise<T>, timeoutMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => (timer = setTimeout(() => resolve({ state: 'timeout' }), timeoutMs)));
  const settled = promise.then(
    (value): Settled<T> => ({ state: 'fulfilled', value }),
    (error: unknown): Settled<T> => ({ state: 'rejected', error }),
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}
