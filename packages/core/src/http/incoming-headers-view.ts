import type { IncomingHttpHeaders } from 'node:http';

const IMMUTABLE = 'these request headers are read-only (a view of the incoming request)';

/**
 * A read-only WHATWG `Headers` over a Node request's header object, without copying it.
 * Routing, plugins and credential planners read request headers through the `Headers`
 * API (the plugin surface promises it); building a real `Headers` per request meant one
 * validated `append` per header, measured at ~3% of the proxy's CPU under load. Node has
 * already lower-cased and validated the names, so a lookup is a property read.
 *
 * Behaves as the `Headers` of a received `Request` does: `get` joins repeated values with
 * `, `, iteration is in sorted name order, and every mutation throws a `TypeError`.
 */
export class IncomingHeadersView implements Headers {
  constructor(private readonly nodeHeaders: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.lookup(name);
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  getSetCookie(): string[] {
    const value = this.nodeHeaders['set-cookie'];
    return value === undefined ? [] : [...value];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.nodeHeaders).sort()) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  append(): never {
    throw new TypeError(IMMUTABLE);
  }

  set(): never {
    throw new TypeError(IMMUTABLE);
  }

  delete(): never {
    throw new TypeError(IMMUTABLE);
  }

  private lookup(name: string): string | string[] | undefined {
    // Callers mostly pass lower-case constants: one property read; anything else is lower-cased first.
    return this.nodeHeaders[name] ?? this.nodeHeaders[name.toLowerCase()];
  }
}
