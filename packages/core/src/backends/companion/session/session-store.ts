import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../../config/load-config';
import type { Logger } from '../../../log/logger';
import { errorMessage } from '../../../log/error-message';
import { TOKENS } from '../../../di-tokens';

/** What TokenPak remembers about one platform session's CLI session. */
export interface CompanionSessionEntry {
  /** The CLI's `session_id`, for `--resume`. */
  cliSessionId: string;
  /** How many API messages the CLI session holds (the last one being its own answer). */
  deliveredCount: number;
  /** Chained hash of those messages (see conversation-fingerprint). */
  deliveredHash: string;
  /** Hash of the system prompt the session was given. */
  systemHash: string;
  /** Epoch ms of the last successful turn (oldest entries are evicted first). */
  updatedAt: number;
}

interface StoreFile {
  version: 1;
  sessions: Record<string, CompanionSessionEntry>;
}

export const SESSION_STORE_FILE = 'companion-sessions.json';
/** A bound on the file's size; an agent that makes a new session per request must not grow it forever. */
const MAX_ENTRIES = 5000;
/** CLI session ids become argv: only what a session id can look like. */
const CLI_SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const HEX_HASH = /^[0-9a-f]{64}$/;

function validEntry(value: unknown): value is CompanionSessionEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.cliSessionId === 'string' &&
    CLI_SESSION_ID.test(entry.cliSessionId) &&
    Number.isInteger(entry.deliveredCount) &&
    (entry.deliveredCount as number) > 0 &&
    typeof entry.deliveredHash === 'string' &&
    HEX_HASH.test(entry.deliveredHash) &&
    typeof entry.systemHash === 'string' &&
    HEX_HASH.test(entry.systemHash) &&
    typeof entry.updatedAt === 'number'
  );
}

export function isValidCliSessionId(id: string): boolean {
  return CLI_SESSION_ID.test(id);
}

/**
 * Platform session → CLI session map, persisted as one small JSON file under
 * `state.dir` so resumes survive restarts. Writes are atomic (temp file, fsync, rename)
 * and serialised; a file that cannot be read as a store is moved aside
 * (`…corrupt-<time>`) and a fresh one started: a lost map only costs a fresh CLI
 * session, never the proxy.
 */
@injectable()
export class CompanionSessionStore {
  private readonly file: string;
  private entries: Map<string, CompanionSessionEntry> | null = null;
  private loading: Promise<Map<string, CompanionSessionEntry>> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private writeCounter = 0;

  constructor(
    @inject(TOKENS.Config) resolved: ResolvedConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {
    this.file = path.join(resolved.config.state.dir, SESSION_STORE_FILE);
  }

  get path(): string {
    return this.file;
  }

  /** Entries held (0 before the file was first needed). */
  get size(): number {
    return this.entries?.size ?? 0;
  }

  async get(key: string): Promise<CompanionSessionEntry | undefined> {
    return (await this.load()).get(key);
  }

  /**
   * Records an entry. Once the store is loaded the in-memory map changes at once (the
   * next turn sees it without waiting for the disk); the promise resolves when the
   * file is written.
   */
  set(key: string, entry: CompanionSessionEntry): Promise<void> {
    const entries = this.entries;
    if (!entries) return this.load().then(() => this.set(key, entry));
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    return this.persist();
  }

  /** Forgets an entry (same timing as `set`). */
  delete(key: string): Promise<void> {
    const entries = this.entries;
    if (!entries) return this.load().then(() => this.delete(key));
    return entries.delete(key) ? this.persist() : Promise.resolve();
  }

  /** Waits for pending writes (shutdown). */
  async flush(): Promise<void> {
    await this.writing;
  }

  private load(): Promise<Map<string, CompanionSessionEntry>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= this.read().then((entries) => (this.entries = entries));
    return this.loading;
  }

  private async read(): Promise<Map<string, CompanionSessionEntry>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(`companion session store ${this.file} unreadable; starting empty`, { error: errorMessage(error) });
      return new Map();
    }
    const entries = this.parse(text);
    if (entries) return entries;
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(this.file, aside);
      this.logger.warn(`companion session store ${this.file} was corrupt; moved it to ${aside} and started a new one`);
    } catch (error) {
      this.logger.warn(`companion session store ${this.file} was corrupt and could not be moved aside; it will be overwritten`, { error: errorMessage(error) });
    }
    return new Map();
  }

  /** The entries of a store file, or null when it is not one. Individually invalid entries are skipped. */
  private parse(text: string): Map<string, CompanionSessionEntry> | null {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return null;
    }
    if (data === null || typeof data !== 'object' || (data as StoreFile).version !== 1) return null;
    const sessions = (data as StoreFile).sessions;
    if (sessions === null || typeof sessions !== 'object' || Array.isArray(sessions)) return null;
    const entries = Object.entries(sessions)
      .filter((pair): pair is [string, CompanionSessionEntry] => validEntry(pair[1]))
      .sort((a, b) => a[1].updatedAt - b[1].updatedAt);
    return new Map(entries);
  }

  /** Queues a write of the current map; each write sees the latest state. */
  private persist(): Promise<void> {
    const next = this.writing
      .then(() => this.writeNow())
      .catch((error: unknown) => {
        this.logger.warn(`could not save the companion session store ${this.file}`, { error: errorMessage(error) });
      });
    this.writing = next;
    return next;
  }

  private async writeNow(): Promise<void> {
    const data: StoreFile = { version: 1, sessions: Object.fromEntries(this.entries ?? []) };
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${++this.writeCounter}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(data)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
  }
}
