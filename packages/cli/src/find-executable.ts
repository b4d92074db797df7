import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * True when `command` would start: a path (anything with a separator) that is an executable
 * file, or a bare name found executable on `PATH` (the same lookup `spawn` does). Used at
 * startup to warn once about a missing `claude` CLI, before any request needs it.
 */
export function isExecutableOnPath(command: string, pathValue: string | undefined): boolean {
  const candidates =
    command.includes('/') || command.includes(path.sep)
      ? [command]
      : (pathValue ?? '')
          .split(path.delimiter)
          .filter(Boolean)
          .map((dir) => path.join(dir, command));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}
