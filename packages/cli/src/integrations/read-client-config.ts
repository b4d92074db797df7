import { readFile } from 'node:fs/promises';

/** A client config's text, or null when the file does not exist. */
export async function readClientConfig(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
