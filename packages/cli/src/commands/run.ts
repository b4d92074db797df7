import { parseArgs } from 'node:util';
import { startBackgroundProxy } from '../background-proxy';
import { runClient } from '../client-launch';
import { ExitCode, UsageError, type CliIo } from '../io';
import { codexIntegration } from '../integrations/codex-integration';
import { integrationContext } from '../integrations/integration-context';
import { TomlConfigText } from '../integrations/toml-config-edit';
import { probeProxy } from '../running-proxy';
import { configOption, loadCliConfig } from './shared-options';

export const runHelp = `tokenpak run <claude|codex|openclaw> [--config <file>] [-- <client args>]
  Run a client once with its environment pointed at TokenPak (ANTHROPIC_BASE_URL,
  OPENAI_BASE_URL; for Codex, -c overrides), changing no file. Starts TokenPak in the
  background first when none answers on the configured port (stop it with tokenpak stop).
  Exits with the client's exit code; Ctrl-C goes to the client.`;

const CLIENTS = ['claude', 'codex', 'openclaw'] as const;
type RunClient = (typeof CLIENTS)[number];

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const passed = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals } = parseArgs({ args: own, options: configOption, allowPositionals: true, strict: true });
  const client = positionals[0] as RunClient | undefined;
  if (positionals.length !== 1 || !client || !CLIENTS.includes(client)) throw new UsageError(`name one client: ${CLIENTS.join(', ')}`);

  const resolved = await loadCliConfig(io, values.config);
  const context = integrationContext(resolved, io.env);
  const url = context.proxyUrl;
  const authToken = io.env.TOKENPAK_AUTH_TOKEN ?? resolved.config.server.authToken;
  const probe = await probeProxy(url, authToken);
  if (probe.state === 'other') {
    io.err(`tokenpak run: port ${resolved.config.server.port} is taken by another program (${probe.detail}); stop it or set server.port / TOKENPAK_PORT\n`);
    return ExitCode.failure;
  }
  if (probe.state === 'free') {
    const proxy = await startBackgroundProxy({ url, stateDir: resolved.config.state.dir, configPath: values.config, env: io.env, cwd: io.cwd, authToken });
    io.err(
      `tokenpak: started TokenPak in the background at ${url} (pid ${proxy.pid}, log ${proxy.log}); it keeps running after ${client} exits. Stop it with: tokenpak stop\n`,
    );
  } else {
    io.err(`tokenpak: using the TokenPak at ${url}${probe.version ? ` (${probe.version})` : ''}\n`);
  }

  const env: NodeJS.ProcessEnv = { ...io.env, ANTHROPIC_BASE_URL: url, OPENAI_BASE_URL: `${url}/v1` };
  let command: string = client;
  let args = passed;
  if (client === 'claude') command = resolved.config.companion.command;
  if (client === 'codex') {
    // Codex takes its provider from config.toml; `-c key=value` (TOML values) overrides it for this run only.
    const plan = await codexIntegration.plan(await TomlConfigText.parse('', 'overrides'), context);
    const overrides = plan.keys.flatMap((key) => (key.value === undefined ? [] : ['-c', `${key.path.join('.')}=${JSON.stringify(key.value)}`]));
    for (const note of plan.notes) io.err(`tokenpak: codex ${note}\n`);
    args = [...overrides, ...passed];
  }
  const result = await runClient(command, args, env, io.cwd);
  if (result.notFound) io.err(`tokenpak run: "${command}" was not found on PATH; install ${client} first\n`);
  return result.code;
}
