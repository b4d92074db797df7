import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { shownPath } from '../home-dir';
import { ExitCode, UsageError, type CliIo } from '../io';
import { applyOwnedKeys, revertOwnedKeys } from '../integrations/apply-owned-keys';
import { backupFile, writeFileAtomic } from '../integrations/atomic-write';
import { ClientConfigError } from '../integrations/client-config-error';
import { INTEGRATION_CLIENTS, type ClientIntegration, type IntegrationContext } from '../integrations/client-integration';
import { integrationContext } from '../integrations/integration-context';
import { integrationsFileIn, readIntegrationRecord, writeIntegrationRecord, type IntegrationRecord } from '../integrations/integration-record';
import { INTEGRATIONS } from '../integrations/integrations';
import { keyName } from '../integrations/owned-key';
import { readClientConfig } from '../integrations/read-client-config';
import { unifiedDiff } from '../integrations/text-diff';
import { configOption, loadCliConfig } from './shared-options';

export const integrateHelp = `tokenpak integrate <claude-code|codex|openclaw> [--dry-run] [--undo] [--config <file>]
  Point a client at this TokenPak by editing only the keys TokenPak owns in the client's own
  config (~/.claude/settings.json, ~/.codex/config.toml, ~/.openclaw/openclaw.json); every other
  key, comment and formatting stays. Backs the file up first and records the previous values in
  <state.dir>/integrations.json. --dry-run prints the diff; --undo puts the previous values back.`;

interface Run {
  io: CliIo;
  integration: ClientIntegration;
  context: IntegrationContext;
  file: string;
  stateDir: string;
  dryRun: boolean;
}

export async function integrateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...configOption, 'dry-run': { type: 'boolean' }, undo: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const client = positionals[0];
  if (positionals.length !== 1 || !client || !(INTEGRATION_CLIENTS as readonly string[]).includes(client)) {
    throw new UsageError(`name one client: ${INTEGRATION_CLIENTS.join(', ')}`);
  }
  const resolved = await loadCliConfig(io, values.config);
  const integration = INTEGRATIONS[client as (typeof INTEGRATION_CLIENTS)[number]];
  const context = integrationContext(resolved, io.env);
  const run: Run = { io, integration, context, file: integration.configFile(context), stateDir: resolved.config.state.dir, dryRun: values['dry-run'] === true };
  try {
    return values.undo ? await undo(run) : await integrate(run);
  } catch (error) {
    if (error instanceof ClientConfigError) {
      io.err(`tokenpak integrate ${client}: ${error.message}\n`);
      return ExitCode.failure;
    }
    throw error;
  }
}

async function integrate({ io, integration, context, file, stateDir, dryRun }: Run): Promise<number> {
  const shown = shownPath(file, io.env);
  const original = await readClientConfig(file);
  const config = await integration.parse(original ?? integration.seed, shown);
  const plan = await integration.plan(config, context);
  const record = await readIntegrationRecord(stateDir);
  const previous = record.clients[integration.client];
  const changes = applyOwnedKeys(config, plan.keys, previous?.file === file ? previous.changes : []);
  const updated = config.toString();
  for (const note of plan.notes) io.out(`${note}\n`);
  if (updated === (original ?? integration.seed) && original !== null) {
    io.out(`${integration.title} already points at ${context.proxyUrl} (${shown}); nothing to change\n`);
    if (!dryRun && !previous) await saveEntry(stateDir, record, integration, { file, backup: null, createdFile: false, changes });
    return ExitCode.ok;
  }
  if (dryRun) {
    io.out(unifiedDiff(original ?? '', updated, shown));
    io.out(`dry run: ${shown} not changed\n`);
    return ExitCode.ok;
  }
  const backup = original === null ? null : await backupFile(file, new Date());
  await writeFileAtomic(file, updated);
  const createdFile = previous?.file === file ? previous.createdFile : original === null;
  await saveEntry(stateDir, record, integration, { file, backup: previous?.backup ?? backup, createdFile, changes });
  io.out(
    `${integration.title} now points at ${context.proxyUrl}: ${changes
      .filter((c) => c.after !== null)
      .map((c) => keyName(c.path))
      .join(', ')} in ${shown}\n`,
  );
  if (backup) io.out(`backup: ${shownPath(backup, io.env)}\n`);
  io.out(`undo with: tokenpak integrate ${integration.client} --undo\n`);
  return ExitCode.ok;
}

async function undo({ io, integration, file, stateDir, dryRun }: Run): Promise<number> {
  const record = await readIntegrationRecord(stateDir);
  const entry = record.clients[integration.client];
  if (!entry) {
    io.err(`tokenpak integrate ${integration.client} --undo: nothing to undo (no record in ${shownPath(integrationsFileIn(stateDir), io.env)})\n`);
    return ExitCode.failure;
  }
  const target = entry.file || file;
  const shown = shownPath(target, io.env);
  const current = await readClientConfig(target);
  if (current === null) {
    io.err(`tokenpak integrate ${integration.client} --undo: ${shown} no longer exists; nothing to restore\n`);
    if (!dryRun) await dropEntry(stateDir, record, integration);
    return ExitCode.failure;
  }
  const config = await integration.parse(current, shown);
  revertOwnedKeys(config, entry.changes);
  const restored = config.toString();
  // Whitespace aside, nothing but the seed left: the file was TokenPak's alone.
  const removeFile = entry.createdFile && restored.replace(/\s+/g, '') === integration.seed.replace(/\s+/g, '');
  if (dryRun) {
    io.out(removeFile ? `would remove ${shown} (TokenPak created it)\n` : unifiedDiff(current, restored, shown));
    io.out(`dry run: ${shown} not changed\n`);
    return ExitCode.ok;
  }
  if (removeFile) {
    await rm(target, { force: true });
  } else if (restored !== current) {
    const backup = await backupFile(target, new Date());
    await writeFileAtomic(target, restored);
    if (backup) io.out(`backup: ${shownPath(backup, io.env)}\n`);
  }
  await dropEntry(stateDir, record, integration);
  io.out(
    `${integration.title}: restored ${entry.changes.map((change) => keyName(change.path)).join(', ')} in ${shown}${removeFile ? ' (removed the file TokenPak created)' : ''}\n`,
  );
  return ExitCode.ok;
}

async function saveEntry(
  stateDir: string,
  record: IntegrationRecord,
  integration: ClientIntegration,
  entry: { file: string; backup: string | null; createdFile: boolean; changes: IntegrationRecord['clients'][string]['changes'] },
): Promise<void> {
  record.clients[integration.client] = { ...entry, integratedAt: new Date().toISOString(), ...(entry.createdFile ? { seed: integration.seed } : {}) };
  await writeIntegrationRecord(stateDir, record);
}

async function dropEntry(stateDir: string, record: IntegrationRecord, integration: ClientIntegration): Promise<void> {
  delete record.clients[integration.client];
  await writeIntegrationRecord(stateDir, record);
}
