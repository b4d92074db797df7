import { isDeepStrictEqual } from 'node:util';
import type { EditableConfig } from './editable-config';
import type { OwnedKeyChange } from './owned-key';

/** A key TokenPak wants in a client config: `value` undefined means "absent". */
export interface DesiredKey {
  path: string[];
  value: unknown;
}

/**
 * Writes `desired` into `config` and returns what changed. A key already recorded by an earlier
 * `integrate` keeps its original `before` (so undo goes back to the user's value, not to
 * TokenPak's), and earlier records for keys not in `desired` are kept for the same reason.
 */
export function applyOwnedKeys(config: EditableConfig, desired: readonly DesiredKey[], previous: readonly OwnedKeyChange[] = []): OwnedKeyChange[] {
  const changes: OwnedKeyChange[] = [];
  const insertedInto = new Map<OwnedKeyChange, string>();
  for (const { path, value } of desired) {
    const prior = previous.find((change) => isDeepStrictEqual(change.path, path));
    const current = config.get(path);
    const createdParent = prior?.createdParent ?? (config.hasParent(path) ? undefined : path.slice(0, -1));
    const before = prior ? prior.before : current === undefined ? null : { value: current, ...rawOf(config, path) };
    const parentBefore = !prior && current === undefined && value !== undefined && !createdParent ? config.raw(path.slice(0, -1)) : undefined;
    if (value === undefined) config.remove(path);
    else if (!isDeepStrictEqual(current, value)) config.set(path, value);
    if (prior || current !== undefined || value !== undefined) {
      const change: OwnedKeyChange = {
        path,
        before,
        after: value ?? null,
        ...(createdParent ? { createdParent } : {}),
        ...(prior?.parentText ? { parentText: prior.parentText } : {}),
      };
      if (parentBefore !== undefined) insertedInto.set(change, parentBefore);
      changes.push(change);
    }
  }
  // Recorded once every key is written: the parent as TokenPak leaves it.
  for (const [change, before] of insertedInto) {
    const after = config.raw(change.path.slice(0, -1));
    if (after !== undefined) change.parentText = { before, after };
  }
  for (const change of previous) {
    if (!changes.some((kept) => isDeepStrictEqual(kept.path, change.path))) changes.push(change);
  }
  return changes;
}

/** Puts back what `changes` recorded, newest first; removes parents TokenPak created once empty. */
export function revertOwnedKeys(config: EditableConfig, changes: readonly OwnedKeyChange[]): void {
  for (const change of [...changes].reverse()) {
    const parent = change.path.slice(0, -1);
    if (change.before === null && change.parentText && config.raw(parent) === change.parentText.after) {
      config.set(parent, config.get(parent), change.parentText.before);
      continue;
    }
    if (change.before === null) config.remove(change.path);
    else if (!isDeepStrictEqual(config.get(change.path), change.before.value) || config.raw(change.path) !== change.before.raw) {
      config.set(change.path, change.before.value, change.before.raw);
    }
  }
  const parents = changes.flatMap((change) => (change.createdParent ? [change.createdParent] : []));
  for (const parent of parents.sort((a, b) => b.length - a.length)) config.removeParentIfEmpty(parent);
}

/** Whether every key still holds what TokenPak wrote. */
export function ownedKeysInPlace(config: EditableConfig, changes: readonly OwnedKeyChange[]): boolean {
  return changes.every((change) => isDeepStrictEqual(config.get(change.path) ?? null, change.after));
}

function rawOf(config: EditableConfig, path: readonly string[]): { raw?: string } {
  const raw = config.raw(path);
  return raw === undefined ? {} : { raw };
}
