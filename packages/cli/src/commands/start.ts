import { createLogger, createTokenPak, describeToolPolicy, type PluginReport } from '@tokenpak/core';
import { parseArgs } from 'node:util';
import { ExitCode, type CliIo } from '../io';
import { configOption, loadCliConfig } from './shared-options';

export const startHelp = `tokenpak start [--config <file>] [--port <n>] [--host <addr>]
  Start the proxy (default 127.0.0.1:8766). Stops gracefully on Ctrl-C / SIGTERM.`;

export function describePlugin(report: PluginReport): string {
  const state = report.state === 'failed' ? `failed: ${report.reason}` : report.state;
  return `${report.name} (${state})`;
}

/** Runs the proxy until SIGINT/SIGTERM; resolves with the exit code. */
export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption, port: { type: 'string' }, host: { type: 'string' } }, strict: true });
  const env = { ...io.env, ...(values.port ? { TOKENPAK_PORT: values.port } : {}), ...(values.host ? { TOKENPAK_HOST: values.host } : {}) };
  const config = await loadCliConfig({ ...io, env }, values.config);
  const logger = createLogger(config.config.log.level, { write: io.err });
  const tokenpak = await createTokenPak({ config, logger });
  const address = await tokenpak.listen();

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
  for (const report of tokenpak.plugins.filter((plugin) => plugin.state === 'failed')) {
    logger.warn(`plugin ${report.name} in ${report.folder} was not loaded: ${report.reason}`);
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info(`${signal}: finishing in-flight requests, then exiting`);
      void tokenpak.shutdown().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return ExitCode.ok;
}
