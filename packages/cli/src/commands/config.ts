import { configJsonSchema, defaultConfig, redactObject } from '@tokenpak/core';
import { parseArgs } from 'node:util';
import { ExitCode, type CliIo } from '../io';
import { configOption, loadCliConfig } from './shared-options';

export const configHelp = `tokenpak config [--config <file>] [--json] | --schema | --defaults
  Print the resolved configuration (defaults, file and environment merged) and where it came from.
  --schema prints the config's JSON Schema; --defaults prints a config file holding every default.`;

export async function configCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...configOption, json: { type: 'boolean' }, schema: { type: 'boolean' }, defaults: { type: 'boolean' } },
    strict: true,
  });
  if (values.schema || values.defaults) {
    io.out(`${JSON.stringify(values.schema ? configJsonSchema() : defaultConfig(), null, 2)}\n`);
    return ExitCode.ok;
  }
  const resolved = await loadCliConfig(io, values.config);
  const config = redactObject(resolved.config);
  const fromEnv = Object.fromEntries(resolved.fromEnv);
  if (values.json) {
    io.out(`${JSON.stringify({ source: resolved.source, fromEnv, config }, null, 2)}\n`);
    return ExitCode.ok;
  }
  io.out(`# source: ${resolved.source ?? 'built-in defaults (no config file found)'}\n`);
  for (const [key, variable] of resolved.fromEnv) io.out(`# ${key} set by ${variable}\n`);
  io.out(`${JSON.stringify(config, null, 2)}\n`);
  return ExitCode.ok;
}
