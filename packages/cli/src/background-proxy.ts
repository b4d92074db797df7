import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { probeProxy, type ProxyProbe } from './running-proxy';

/** The `tokenpak` entry script this CLI was built with (dist/background-proxy.js → bin/tokenpak.js). */
const CLI_BIN = path.join(__dirname, '..', 'bin', 'tokenpak.js');
const START_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

export interface BackgroundProxy {
  pid: number;
  log: string;
}

/**
 * Starts `tokenpak start` as a detached background process (its own process group, so the
 * client's Ctrl-C does not reach it, and unref'd, so it outlives this command), its output
 * appended to `<state.dir>/tokenpak.log`, then waits until `url` answers as a TokenPak.
 * Rejects with the log's path when it does not come up.
 */
export async function startBackgroundProxy(options: {
  url: string;
  stateDir: string;
  configPath?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  authToken?: string;
}): Promise<BackgroundProxy> {
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const log = path.join(options.stateDir, 'tokenpak.log');
  const fd = openSync(log, 'a', 0o600);
  let exited: string | null = null;
  let child;
  try {
    child = spawn(process.execPath, [CLI_BIN, 'start', ...(options.configPath ? ['--config', options.configPath] : [])], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  child.once('error', (error) => (exited = error.message));
  child.once('exit', (code, signal) => (exited = `it exited with ${signal ?? code}`));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  let probe: ProxyProbe = { state: 'free' };
  while (Date.now() < deadline && exited === null) {
    probe = await probeProxy(options.url, options.authToken);
    if (probe.state === 'tokenpak') return { pid: child.pid!, log };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (exited === null && child.pid) process.kill(child.pid, 'SIGTERM');
  throw new Error(`TokenPak did not come up at ${options.url} (${exited ?? 'timed out'}); see ${log}`);
}
