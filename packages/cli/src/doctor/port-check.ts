import type { TokenPakConfig } from '@tokenpak/core';
import { proxyUrl } from '../proxy-url';
import { isTokenPakRunning, pidFileIn, readPidFileAsync } from '../pid-file';
import { probeProxy } from '../running-proxy';
import { fail, ok, warn, type CheckResult } from './check-result';

/** Is the configured port free, or is a TokenPak already answering there (version, pid)? */
export async function portCheck(config: TokenPakConfig, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const url = proxyUrl(config);
  const probe = await probeProxy(url, env.TOKENPAK_AUTH_TOKEN ?? config.server.authToken);
  const pidFile = await readPidFileAsync(pidFileIn(config.state.dir));
  const pid = pidFile && isTokenPakRunning(pidFile.pid) ? pidFile.pid : undefined;
  if (probe.state === 'tokenpak') {
    return ok('port', `TokenPak ${probe.version ?? '(version unknown)'} is running at ${url}${pid ? ` (pid ${pid})` : ''}`, {
      url,
      running: true,
      ...(probe.version ? { version: probe.version } : {}),
      ...(pid ? { pid } : {}),
    });
  }
  if (probe.state === 'free') {
    if (pidFile && pid) {
      return warn(
        'port',
        `port ${config.server.port} is free, but ${config.state.dir}/tokenpak.pid names live pid ${pid}`,
        'if that is not a TokenPak, delete the pid file',
        { url, running: false, pid },
      );
    }
    return ok('port', `port ${config.server.port} is free (no TokenPak running); start one with: tokenpak start`, { url, running: false });
  }
  return fail('port', `port ${config.server.port} is busy: ${probe.detail}`, `stop that program, or pick another port (server.port / TOKENPAK_PORT)`, {
    url,
    running: false,
  });
}
