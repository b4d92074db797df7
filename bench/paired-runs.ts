import { median } from './stats';

/**
 * Ratios and differences from interleaved pairs. Each repeat runs the two sides of a cell
 * back to back (raw then tokenpak; ledger on then off), so the two runs of one repeat saw the
 * same machine. Comparing within a repeat and taking the median over repeats cancels the
 * slow drift (other tenants, thermal) that a ratio of two separate medians keeps.
 */

/** A per-repeat comparison over all repeats. NaN (null in JSON) where no repeat had both values. */
export interface PerRepeatSummary {
  median: number;
  min: number;
  max: number;
  /** In repeat order. */
  perRepeat: number[];
}

export interface RepeatPair<T> {
  repeat: number;
  base: T;
  candidate: T;
}

/** The runs of the same repeat, side by side, in repeat order; a repeat missing either side is left out. */
export function pairByRepeat<T extends { repeat: number }>(base: readonly T[], candidate: readonly T[]): RepeatPair<T>[] {
  const pairs: RepeatPair<T>[] = [];
  for (const baseRun of base) {
    const matches = candidate.filter((run) => run.repeat === baseRun.repeat);
    if (matches.length > 1 || base.filter((run) => run.repeat === baseRun.repeat).length > 1) {
      throw new Error(`repeat ${baseRun.repeat} has more than one run on a side: the pairing would be ambiguous`);
    }
    if (matches[0]) pairs.push({ repeat: baseRun.repeat, base: baseRun, candidate: matches[0] });
  }
  return pairs.sort((a, b) => a.repeat - b.repeat);
}

/** `compare` applied to each pair (null: that repeat has no value, e.g. no /proc), summarised. */
export function summarizePerRepeat<T>(pairs: readonly RepeatPair<T>[], compare: (base: T, candidate: T) => number | null): PerRepeatSummary {
  const perRepeat = pairs.map((pair) => compare(pair.base, pair.candidate)).filter((value): value is number => value !== null && Number.isFinite(value));
  if (perRepeat.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, perRepeat };
  return { median: median(perRepeat), min: Math.min(...perRepeat), max: Math.max(...perRepeat), perRepeat };
}

/** candidate ÷ base of one value; null when either is missing or the base is 0. */
export function ratioOf<T>(value: (run: T) => number | null): (base: T, candidate: T) => number | null {
  return (base, candidate) => {
    const [b, c] = [value(base), value(candidate)];
    return b === null || c === null || b === 0 ? null : c / b;
  };
}

/** candidate − base of one value; null when either is missing. */
export function differenceOf<T>(value: (run: T) => number | null): (base: T, candidate: T) => number | null {
  return (base, candidate) => {
    const [b, c] = [value(base), value(candidate)];
    return b === null || c === null ? null : c - b;
  };
}
