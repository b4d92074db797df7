import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';
import type { OwnedKeyChange } from './owned-key';

/** What `tokenpak integrate` did to one client's config (one entry of `<state.dir>/integrations.json`). */
export interface IntegrationEntry {
  /** The client's config file (absolute). */
  file: string;
  /** ISO time of the last `integrate`. */
  integratedAt: string;
  /** The copy made before the last write; null when the file did not exist. */
  backup: string | null;
  /** TokenPak created the file (undo removes it again when nothing else is left in it). */
  createdFile: boolean;
  /** The text TokenPak seeded a new file with (`{}` for JSON, empty for TOML). */
  seed?: string;
  changes: OwnedKeyChange[];
}

/** `<state.dir>/integrations.json`: `{ version: 1, clients: { "<client>": IntegrationEntry } }`. */
export interface IntegrationRecord {
  version: 1;
  clients: Record<string, IntegrationEntry>;
}

export const INTEGRATIONS_FILE = 'integrations.json';

export function integrationsFileIn(stateDir: string): string {
  return path.join(stateDir, INTEGRATIONS_FILE);
}

/**
 * Reads the record; an absent file is an empty record. A file that does not parse is an error
 * (it holds the only copy of the values `--undo` restores, so it must not be overwritten blindly).
 */
export async function readIntegrationRecord(stateDir: string): Promise<IntegrationRecord> {
  const file = integrationsFileIn(stateDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, clients: {} };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; fix or remove it (it records what tokenpak integrate changed)`);
  }
  const clients = (parsed as { clients?: unknown } | null)?.clients;
  if (!clients || typeof clients !== 'object') throw new Error(`${file} has no "clients" object; fix or remove it`);
  return { version: 1, clients: clients as Record<string, IntegrationEntry> };
}

export async function writeIntegrationRecord(stateDir: string, record: IntegrationRecord): Promise<void> {
  await writeFileAtomic(integrationsFileIn(stateDir), `${JSON.stringify(record, null, 2)}\n`);
}
