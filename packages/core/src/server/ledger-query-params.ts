import { GROUP_KEYS, type GroupKey, type RowFilter } from '../ledger/ledger-queries';
import { parseSince } from '../ledger/time-window';

export class QueryParamError extends Error {
  override readonly name = 'QueryParamError';
}

const MAX_LIMIT = 1000;

function positiveInteger(name: string, value: string | undefined, fallback: number | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 0 || Number(value) > max) throw new QueryParamError(`${name} must be an integer from 0 to ${max}`);
  return Number(value);
}

function flag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|)$/i.test(value);
}

/** `?since=&failed=&platform=&provider=&model=&session=` (the same filters as the CLI). */
export function rowFilterFrom(query: Record<string, string | undefined>, defaultSince?: string): RowFilter {
  const since = query.since ?? defaultSince;
  const filter: RowFilter = {};
  if (since !== undefined && since !== '' && since !== 'all') {
    try {
      filter.since = parseSince(since);
    } catch (error) {
      throw new QueryParamError((error as Error).message);
    }
  }
  if (query.failed !== undefined && flag(query.failed)) filter.failed = true;
  if (query.platform) filter.platform = query.platform;
  if (query.provider) filter.provider = query.provider;
  if (query.model) filter.model = query.model;
  if (query.session) filter.sessionId = query.session;
  return filter;
}

export function limitFrom(query: Record<string, string | undefined>, fallback = 50): number {
  return positiveInteger('limit', query.limit, fallback, MAX_LIMIT) ?? fallback;
}

export function cursorFrom(name: string, value: string | undefined): number | undefined {
  return positiveInteger(name, value, undefined);
}

export function groupKeyFrom(value: string | undefined): GroupKey | null {
  if (value === undefined || value === '' || value === 'none') return null;
  if (!(GROUP_KEYS as readonly string[]).includes(value)) throw new QueryParamError(`by must be one of ${GROUP_KEYS.join(', ')}`);
  return value as GroupKey;
}
