import { readFile } from 'node:fs/promises';
import { errorMessage } from '../log/error-message';
import { CredentialUnavailableError } from './types';

/**
 * Reads and parses a login file fresh on every call: the CLIs rotate their tokens on
 * disk, and a stale cached token would turn into an upstream 401. The files are tiny.
 */
export async function readCredentialFile(file: string, hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `could not be read (${errorMessage(error)})`;
    throw new CredentialUnavailableError(`the login file ${file} ${what}`, hint);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CredentialUnavailableError(`the login file ${file} is not valid JSON`, hint);
  }
}

/** `value.a.b` when it is a non-empty string. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  let node = value;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' && node.trim() !== '' ? node.trim() : undefined;
}
