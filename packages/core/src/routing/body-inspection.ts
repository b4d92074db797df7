const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * Why a request body wanted by a signal is NOT inspected, or null when it may be: the one
 * rule set shared by the proxy and the dry run, so both make the same decision.
 * `byteLength` is the declared (or known) body size, null when unknown (chunked upload:
 * the proxy then reads at most `limit` bytes and gives up past it).
 */
export function bodyInspectionSkip(method: string, headers: Headers, byteLength: number | null, limit: number): string | null {
  if (BODYLESS_METHODS.has(method)) return `${method} has no body`;
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return `body is ${encoding}-encoded`;
  if (byteLength !== null && byteLength > limit) return bodyTooLarge(limit);
  return null;
}

export function bodyTooLarge(limit: number): string {
  return `body larger than routing.maxInspectBytes (${limit})`;
}

/** `content-length` as a number, or null when absent or malformed. */
export function declaredLength(headers: Headers): number | null {
  const value = headers.get('content-length');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}
