import { parseArgs } from 'node:util';
import { ExitCode, type CliIo } from '../io';
import { isTokenPakRunning } from '../pid-file';
import { findRunningInstance, waitFor } from './running-instance';
import { configOption } from './shared-options';

export const stopHelp = `tokenpak stop [--config <file>]
  Stop the TokenPak running on this config's state dir (found through <state.dir>/tokenpak.pid):
  SIGTERM, then wait up to server.shutdownTimeoutMs + 5 s for in-flight requests to finish.`;

/** Time allowed beyond the instance's own shutdown timeout (closing the ledger, the companion, the process). */
const STOP_MARGIN_MS = 5000;

export async function stopCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption }, strict: true });
  const instance = await findRunningInstance(io, values.config);
  if (!instance.found) {
    io.err(`tokenpak: ${instance.message}\n`);
    return ExitCode.failure;
  }
  const { pid, url } = instance.record;
  const waitMs = instance.record.shutdownTimeoutMs + STOP_MARGIN_MS;
  const startedAt = Date.now();
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    io.err(`tokenpak: could not signal pid ${pid}: ${(error as Error).message}\n`);
    return ExitCode.failure;
  }
  io.out(`stopping TokenPak (pid ${pid}${url ? `, ${url}` : ''}): waiting up to ${Math.round(waitMs / 1000)} s for in-flight requests…\n`);
  if (await waitFor(() => !isTokenPakRunning(pid), waitMs)) {
    io.out(`stopped (pid ${pid}) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
    return ExitCode.ok;
  }
  io.err(`tokenpak: pid ${pid} is still running after ${Math.round(waitMs / 1000)} s; to end it now: kill -9 ${pid}\n`);
  return ExitCode.failure;
}
