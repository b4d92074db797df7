import { ConfigError, coreVersion } from '@tokenpak/core';
import { configCommand, configHelp } from './commands/config';
import { doctorCommand, doctorHelp } from './commands/doctor';
import { integrateCommand, integrateHelp } from './commands/integrate';
import { runCommand, runHelp } from './commands/run';
import { pluginsCommand, pluginsHelp } from './commands/plugins';
import { requestsCommand, requestsHelp } from './commands/requests';
import { routeCommand, routeHelp } from './commands/route';
import { startCommand, startHelp } from './commands/start';
import { statsCommand, statsHelp } from './commands/stats';
import { statusCommand, statusHelp } from './commands/status';
import { reloadCommand, reloadHelp } from './commands/reload';
import { stopCommand, stopHelp } from './commands/stop';
import { ExitCode, processIo, UsageError, type CliIo } from './io';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; help: string }>> = {
  start: { run: startCommand, help: startHelp },
  route: { run: routeCommand, help: routeHelp },
  plugins: { run: pluginsCommand, help: pluginsHelp },
  config: { run: configCommand, help: configHelp },
  status: { run: statusCommand, help: statusHelp },
  stats: { run: statsCommand, help: statsHelp },
  requests: { run: requestsCommand, help: requestsHelp },
  integrate: { run: integrateCommand, help: integrateHelp },
  doctor: { run: doctorCommand, help: doctorHelp },
  run: { run: runCommand, help: runHelp },
  stop: { run: stopCommand, help: stopHelp },
  reload: { run: reloadCommand, help: reloadHelp },
};

const USAGE = `TokenPak: a local proxy for AI coding agents.

Usage: tokenpak <command> [options]

${Object.values(COMMANDS)
  .map((command) => command.help)
  .join('\n\n')}

Every command takes --config <file>; otherwise tokenpak.config.json (and the other
cosmiconfig places) is searched from the current folder. Exit codes: 0 ok, 1 failure,
2 invalid configuration, 64 usage error.
`;

/** Runs one CLI invocation and resolves with its exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${coreVersion()}\n`);
    return ExitCode.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`tokenpak: unknown command "${name}"\n\n${USAGE}`);
    return ExitCode.usage;
  }
  // After `--` the arguments belong to someone else (`tokenpak run codex -- --help`).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    io.out(`${command.help}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`tokenpak: ${error.message}\n`);
      return ExitCode.badConfig;
    }
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tokenpak ${name}: ${(error as Error).message}\n\n${command.help}\n`);
      return ExitCode.usage;
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.err(`tokenpak: the address is already in use (${(error as Error).message}); is another TokenPak running? Use --port or TOKENPAK_PORT.\n`);
      return ExitCode.failure;
    }
    io.err(`tokenpak: ${(error as Error).message}\n`);
    return ExitCode.failure;
  }
}
