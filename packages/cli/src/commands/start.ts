import { createLogger, createTokenPak, describeToolPolicy, type Logger, type PluginReport } from '@tokenpak/core';
import { parseArgs } from 'node:util';
import { guardExit } from '../exit-guard';
import { isExecutableOnPath } from '../find-executable';
import { ExitCode, type CliIo } from '../io';
import { InstanceFile } from '../instance-file';
import { pidFileIn, type PidRecord } from '../pid-file';
import { configOption, loadCliConfig } from './shared-options';

export const startHelp = `tokenpak start [--config <file>] [--port <n>] [--host <addr>]
  Start the proxy (default 127.0.0.1:8766) and write <state.dir>/tokenpak.pid; refuses to start
  when another TokenPak runs on the same state dir. Stops gracefully on Ctrl-C / SIGTERM
  (or tokenpak stop); SIGHUP (or tokenpak reload) re-reads the config and plugins.`;

export function describePlugin(report: PluginReport): string {
  const state = report.state === 'failed' ? `failed: ${report.reason}` : report.state;
  return `${report.name} (${state})`;
}

/** Runs the proxy until SIGINT/SIGTERM; resolves with the exit code. */
export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption, port: { type: 'string' }, host: { type: 'string' } }, strict: true });
  const env = { ...io.env, ...(values.port ? { TOKENPAK_PORT: values.port } : {}), ...(values.host ? { TOKENPAK_HOST: values.host } : {}) };
  let instanceFile: InstanceFile | null = null;
  let logger: Logger | null = null;
  const guard = guardExit(io.err, () => instanceFile?.remove());
  const signals = watchSignals(() => logger);
  try {
    const config = await loadCliConfig({ ...io, env }, values.config);
    logger = createLogger(config.config.log.level, { write: io.err });

    const record: PidRecord = {
      pid: process.pid,
      url: null,
      host: null,
      port: null,
      startedAt: new Date().toISOString(),
      config: config.source,
      shutdownTimeoutMs: config.config.server.shutdownTimeoutMs,
      reloads: 0,
      lastReload: null,
    };
    const pidFile = new InstanceFile(pidFileIn(config.config.state.dir), record, logger);
    instanceFile = pidFile;
    const claim = await pidFile.claim();
    if (claim.kind === 'running') {
      const { holder } = claim;
      io.err(
        `tokenpak: TokenPak is already running on ${config.config.state.dir} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ', starting'}, since ${holder.startedAt}); stop it with: tokenpak stop${values.config ? ` --config ${values.config}` : ''}\n`,
      );
      return ExitCode.failure;
    }
    if (claim.kind === 'claimed' && claim.replacedStale) logger.info(`replaced a stale pid file (pid ${claim.replacedStale.pid} is not running)`);

    // Reload: same config sources as now (file or search, cwd, env with --port/--host applied).
    const tokenpak = await createTokenPak({ config, logger, configPath: values.config, cwd: io.cwd, env });
    const address = await tokenpak.listen();
    Object.assign(record, { url: address.url, host: address.host, port: address.port });
    // Complete before the "listening" line, so whoever waits for that line finds the URL in the file.
    await pidFile.update();

    io.out(
      [
        `TokenPak listening on ${address.url}`,
        `config: ${config.source ?? 'built-in defaults (no config file found)'}`,
        `plugins: ${tokenpak.plugins.length > 0 ? tokenpak.plugins.map(describePlugin).join(', ') : 'none'}`,
        `claude companion tools: ${describeToolPolicy(config.config.companion.tools)}`,
        '',
        'Point your agents at it:',
        `  export ANTHROPIC_BASE_URL=${address.url}`,
        `  export OPENAI_BASE_URL=${address.url}/v1`,
        '',
      ].join('\n'),
    );
    if (config.config.providers['tokenpak-claude-code']?.credentials === 'claude-login') {
      io.out(
        config.config.companion.dispatch
          ? 'warning: providers.tokenpak-claude-code.credentials is "claude-login", but it only applies with companion dispatch off (companion.dispatch: false); it is not used now.\n'
          : "warning: claude-login is on: requests for tokenpak-claude-code are sent with your local Claude Code login. The provider's terms may restrict subscription tokens in third-party clients; use it at your own risk.\n",
      );
    }
    const { companion } = config.config;
    if (companion.dispatch && !isExecutableOnPath(companion.command, io.env.PATH)) {
      io.out(
        `warning: the claude CLI ("${companion.command}") was not found: tokenpak-claude-code requests ${companion.fallbackToCaller ? "are forwarded with the caller's own credentials when it sends any, else answered 502" : 'are answered 502'} until it is installed (companion.command / TOKENPAK_CLAUDE_BIN).\n`,
      );
    }
    for (const report of tokenpak.plugins.filter((plugin) => plugin.state === 'failed')) {
      logger.warn(`plugin ${report.name} in ${report.folder} was not loaded: ${report.reason}`);
    }
    guard.phase = 'running';

    signals.onReload(() => {
      void tokenpak
        .reload()
        .then((outcome) => {
          record.reloads++;
          record.lastReload = { at: new Date().toISOString(), ok: outcome.ok, generation: outcome.generation, ...(outcome.ok ? {} : { error: outcome.error }) };
          return pidFile.update();
        })
        .catch((error: unknown) => logger?.error('reload failed', { error: error instanceof Error ? error.message : String(error) }));
    });
    const signal = await signals.stopped;
    logger.info(`${signal}: finishing in-flight requests, then exiting`);
    guard.phase = 'stopping';
    const outcome = await tokenpak.shutdown();
    pidFile.remove();
    signals.release();
    guard.release();
    if (outcome.ledgerWorkerStuck || pidFile.blocked) {
      // A thread blocked in a system call cannot be joined, and Node joins its threads on every
      // normal exit: end the way the signal asked for (its default action), now that the
      // requests are finished.
      io.err(`tokenpak: a thread is blocked in the filesystem (${config.config.state.dir}); ending with ${signal} without waiting for it\n`);
      process.kill(process.pid, signal);
    }
    return ExitCode.ok;
  } catch (error) {
    instanceFile?.remove();
    throw error;
  } finally {
    // Every return and throw above is an exit `main` reports itself.
    signals.release();
    guard.release();
  }
}

/**
 * The process's signals while `start` runs. Installed before anything is printed, so a
 * signal sent as soon as the "listening" line appears is never met by its default action.
 * SIGINT/SIGTERM resolve `stopped`; SIGHUP calls the reload hook once one is set (before
 * that, and during shutdown, it is ignored rather than left to its default action, which
 * would end the process).
 */
function watchSignals(logger: () => Logger | null): { stopped: Promise<NodeJS.Signals>; onReload(reload: () => void): void; release(): void } {
  let stopping = false;
  let reloadHook: (() => void) | null = null;
  const hangup = (): void => {
    if (stopping || !reloadHook) return void logger()?.info(`SIGHUP ignored: ${stopping ? 'shutting down' : 'still starting'}`);
    reloadHook();
  };
  process.on('SIGHUP', hangup);
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    stop = (signal) => {
      stopping = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return {
    stopped,
    onReload: (reload) => void (reloadHook = reload),
    release() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', hangup);
    },
  };
}
