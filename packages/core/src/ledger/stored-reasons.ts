import { redactText } from '../log/redact';

/** Distinct reason lists whose stored form is remembered. */
const MAX_REMEMBERED = 1024;
/** Recently seen lists, compared element by element before any key is built. */
const RECENT = 8;

/** Same length, same strings in the same order. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A decision's reasons as the ledger stores them: a JSON array with anything token-shaped
 * masked. Requests of one kind produce the same few lists (as new arrays of new strings
 * each time), so each distinct list is redacted and serialised once, and the lists seen
 * last are recognised by comparing their strings, which allocates nothing; only a list
 * not among them costs a key (its JSON) and a map lookup. Bounded: past MAX_REMEMBERED
 * distinct lists the map starts over.
 */
export class StoredReasons {
  private readonly byKey = new Map<string, string>();
  private readonly recentLists: Array<readonly string[]> = [];
  private readonly recentStored: string[] = [];
  private nextSlot = 0;

  /** The stored form of `reasons`: the same string for equal lists, so a batch's string table holds it once. */
  of(reasons: readonly string[]): string {
    for (let slot = 0; slot < this.recentLists.length; slot++) {
      if (sameList(this.recentLists[slot]!, reasons)) return this.recentStored[slot]!;
    }
    const key = JSON.stringify(reasons);
    let stored = this.byKey.get(key);
    if (stored === undefined) {
      if (this.byKey.size >= MAX_REMEMBERED) this.byKey.clear();
      stored = JSON.stringify(reasons.map(redactText));
      this.byKey.set(key, stored);
    }
    // A copy: the caller's array is not ours to keep.
    this.recentLists[this.nextSlot] = reasons.slice();
    this.recentStored[this.nextSlot] = stored;
    this.nextSlot = (this.nextSlot + 1) % RECENT;
    return stored;
  }
}
