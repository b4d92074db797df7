/**
 * One key TokenPak owns in a client's config file, as recorded in `<state.dir>/integrations.json`
 * so `--undo` can put back exactly what was there.
 */
export interface OwnedKeyChange {
  /** Where the key is: JSON property path, or TOML table path + key (`[]`-rooted). */
  path: string[];
  /** What was there before TokenPak first changed it; null when the key did not exist. */
  before: PreviousValue | null;
  /** What TokenPak wrote; null when TokenPak removed the key. */
  after: unknown;
  /** A parent TokenPak created for this key (JSON object or TOML table); removed again on undo once empty. */
  createdParent?: string[];
  /**
   * For a key that did not exist: the exact source text of its parent before and after the
   * insert. A format whose insert may re-lay-out the parent (jsonc-parser expands a one-line
   * object) is undone by putting the old text back while the parent is still as TokenPak left it.
   */
  parentText?: { before: string; after: string };
}

export interface PreviousValue {
  value: unknown;
  /** The value's exact source text, where the format has more than one spelling of it (TOML quotes). */
  raw?: string;
}

/** `a.b.c`, the way users name config keys. */
export function keyName(path: readonly string[]): string {
  return path.join('.');
}
