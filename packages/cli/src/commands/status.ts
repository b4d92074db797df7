import { parseArgs } from 'node:util';
import { ExitCode, type CliIo } from '../io';
import { configOption, loadCliConfig } from './shared-options';

export const statusHelp = `tokenpak status [--config <file>] [--url http://127.0.0.1:8766]
  Ask a running proxy for its status (version, uptime, plugins, in-flight, counters).`;

export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption, url: { type: 'string' } }, strict: true });
  let base = values.url;
  if (!base) {
    const { config } = await loadCliConfig(io, values.config);
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${config.server.port}`;
  }
  let response: Response;
  try {
    const authToken = io.env.TOKENPAK_AUTH_TOKEN;
    response = await fetch(new URL('/tokenpak/status', base), { headers: authToken ? { 'x-tokenpak-auth': authToken } : {} });
  } catch (error) {
    io.err(`tokenpak: no proxy answering at ${base} (${(error as Error).message}). Start one with: tokenpak start\n`);
    return ExitCode.failure;
  }
  io.out(`${JSON.stringify(await response.json(), null, 2)}\n`);
  return response.ok ? ExitCode.ok : ExitCode.failure;
}
