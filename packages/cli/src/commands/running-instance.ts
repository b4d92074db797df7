import type { CliIo } from '../io';
import { isTokenPakRunning, pidFileIn, readPidFile, removePidFile, type PidRecord } from '../pid-file';
import { loadCliConfig } from './shared-options';

/** The TokenPak running on the config's state dir, found through `<state.dir>/tokenpak.pid`. */
export type RunningInstance = { found: true; record: PidRecord; file: string } | { found: false; message: string };

/** Reads the pid file for `--config`'s state dir; a stale file (process gone) is removed and reported as not running. */
export async function findRunningInstance(io: CliIo, configPath: string | undefined): Promise<RunningInstance> {
  const { config } = await loadCliConfig(io, configPath);
  const file = pidFileIn(config.state.dir);
  const record = readPidFile(file);
  if (!record) return { found: false, message: `no TokenPak is running on ${config.state.dir} (no ${file})` };
  if (!isTokenPakRunning(record.pid)) {
    removePidFile(file, record.pid);
    return { found: false, message: `no TokenPak is running on ${config.state.dir} (pid ${record.pid} is gone; removed its stale pid file)` };
  }
  return { found: true, record, file };
}

/** Polls until `condition` holds or `timeoutMs` passes; resolves with whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
