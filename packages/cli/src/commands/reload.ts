import { ConfigError } from '@tokenpak/core';
import { parseArgs } from 'node:util';
import { ExitCode, type CliIo } from '../io';
import { isTokenPakRunning, readPidFile } from '../pid-file';
import { findRunningInstance, waitFor } from './running-instance';
import { configOption } from './shared-options';

export const reloadHelp = `tokenpak reload [--config <file>]
  Make the running TokenPak (found through <state.dir>/tokenpak.pid) re-read its config and
  plugins (sends it SIGHUP): new requests use them, requests in flight finish on the old ones;
  an invalid config keeps the running one. Waits for the outcome and reports it.`;

/** How long to wait for the instance to record the reload's outcome (loading plugins may take a while). */
const RELOAD_WAIT_MS = 30_000;

export async function reloadCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption }, strict: true });
  let instance: Awaited<ReturnType<typeof findRunningInstance>>;
  try {
    instance = await findRunningInstance(io, values.config);
  } catch (error) {
    // The running instance would refuse this config too: say what is wrong and leave it alone.
    if (!(error instanceof ConfigError)) throw error;
    io.err(`tokenpak: ${error.message}\ntokenpak: nothing was reloaded; the running TokenPak keeps its current config\n`);
    return ExitCode.badConfig;
  }
  if (!instance.found) {
    io.err(`tokenpak: ${instance.message}\n`);
    return ExitCode.failure;
  }
  const { pid, reloads } = instance.record;
  if (process.platform === 'win32') {
    io.err('tokenpak: reload needs SIGHUP, which Windows does not have; restart TokenPak instead\n');
    return ExitCode.failure;
  }
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    io.err(`tokenpak: could not signal pid ${pid}: ${(error as Error).message}\n`);
    return ExitCode.failure;
  }
  // The instance bumps `reloads` in its pid file once the reload has succeeded or failed.
  const outcome = (): ReturnType<typeof readPidFile> => readPidFile(instance.file);
  const settled = await waitFor(() => (outcome()?.reloads ?? 0) > reloads || !isTokenPakRunning(pid), RELOAD_WAIT_MS);
  const record = outcome();
  if (!settled || !record || record.pid !== pid || !record.lastReload) {
    io.err(`tokenpak: sent SIGHUP to pid ${pid}, but it reported no outcome within ${RELOAD_WAIT_MS / 1000} s; see its log\n`);
    return ExitCode.failure;
  }
  if (!record.lastReload.ok) {
    io.err(`tokenpak: reload failed; pid ${pid} keeps running with its previous config: ${record.lastReload.error ?? 'see its log'}\n`);
    return ExitCode.failure;
  }
  io.out(`reloaded TokenPak (pid ${pid}${record.url ? `, ${record.url}` : ''}): generation ${record.lastReload.generation} serves new requests\n`);
  return ExitCode.ok;
}
