import { ledgerFileIn, openLedgerForReading, schemaVersion, LATEST_SCHEMA_VERSION } from '@tokenpak/core';
import type Database from 'better-sqlite3';
import { homedir } from 'node:os';
import type { CliIo } from '../io';
import { loadCliConfig } from './shared-options';

export interface LedgerLocation {
  file: string;
  /** The file as shown to the user (`~/…` for the home folder). */
  shown: string;
  enabled: boolean;
}

/** Where the proxy keeps its ledger, per the same config it reads (`<state.dir>/ledger.db`). */
export async function locateLedger(io: CliIo, configPath: string | undefined): Promise<LedgerLocation> {
  const { config } = await loadCliConfig(io, configPath);
  const file = ledgerFileIn(config.state.dir);
  const home = io.env.HOME || homedir();
  return { file, shown: file.startsWith(`${home}/`) ? `~/${file.slice(home.length + 1)}` : file, enabled: config.ledger.enabled };
}

/**
 * Opens the ledger read-only, straight from the file: the commands work whether or not a
 * proxy is running (SQLite's WAL lets them read while it writes). Null when there is none yet.
 */
export function openLedger(location: LedgerLocation, io: CliIo): Database.Database | null {
  const db = openLedgerForReading(location.file);
  if (db && schemaVersion(db) > LATEST_SCHEMA_VERSION) {
    io.err(`tokenpak: ${location.shown} was written by a newer TokenPak (schema ${schemaVersion(db)}); showing the columns this version knows\n`);
  }
  return db;
}

export function noLedgerMessage(location: LedgerLocation): string {
  return location.enabled
    ? `No ledger at ${location.shown} yet: the proxy creates it when it serves its first request.\n`
    : `No ledger at ${location.shown}: ledger.enabled is false in the config.\n`;
}
