/**
 * What the integration engine needs from a client config file, whatever its format
 * (JsonConfigText, TomlConfigText): read, set and remove one key without touching the rest.
 */
export interface EditableConfig {
  get(path: readonly string[]): unknown;
  /** The value's exact source text when the format can spell one value several ways. */
  raw(path: readonly string[]): string | undefined;
  set(path: readonly string[], value: unknown, raw?: string): void;
  remove(path: readonly string[]): void;
  /** Whether the object/table that holds `path` exists. */
  hasParent(path: readonly string[]): boolean;
  /** Removes the object/table at `parent` when it is empty. */
  removeParentIfEmpty(parent: readonly string[]): void;
  toString(): string;
}
