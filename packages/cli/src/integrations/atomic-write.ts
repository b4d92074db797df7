import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `file` with `text` so a reader never sees half a file: write a sibling temp file
 * (same folder, so `rename` stays atomic), keep the old file's mode, then rename over it.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const mode = await stat(file).then(
    (info) => info.mode & 0o777,
    () => 0o600,
  );
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tokenpak-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { mode, flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Copies `file` to `<file>.tokenpak-backup-<UTC timestamp>` (owner-only) and returns the backup's
 * path; null when there is no file to back up.
 */
export async function backupFile(file: string, now: Date): Promise<string | null> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const backup = `${file}.tokenpak-backup-${stamp}`;
  try {
    await copyFile(file, backup);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return backup;
}
