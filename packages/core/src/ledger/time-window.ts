const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class TimeWindowError extends Error {
  override readonly name = 'TimeWindowError';
}

/**
 * `--since` / `?since=`: a duration back from now (`90s`, `30m`, `24h`, `7d`, `2w`) or an
 * ISO 8601 date or date-time (`2026-11-24`, `2026-11-24T08:00`). Returns epoch ms.
 */
export function parseSince(text: string, now: number = Date.now()): number {
  const value = text.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!.toLowerCase()]!;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const time = Date.parse(value.length === 10 ? `${value}T00:00` : value.replace(' ', 'T'));
    if (Number.isFinite(time)) return time;
  }
  throw new TimeWindowError(`"${text}" is not a time window: use 30m, 24h, 7d, 2w or an ISO date like 2026-11-24`);
}
