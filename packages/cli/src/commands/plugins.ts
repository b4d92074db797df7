import { parseArgs } from 'node:util';
import { ExitCode, type CliIo } from '../io';
import { configOption, loadTokenPak } from './shared-options';

export const pluginsHelp = `tokenpak plugins [--config <file>] [--json]
  List every discovered plugin: loaded / disabled / failed: <reason>, and what it registered.`;

export async function pluginsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption, json: { type: 'boolean' } }, strict: true });
  const tokenpak = await loadTokenPak(io, values.config);
  const reports = tokenpak.plugins;
  if (values.json) {
    io.out(`${JSON.stringify(reports, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (reports.length === 0) io.out('no plugins found\n');
  for (const report of reports) {
    const state = report.state === 'failed' ? `failed: ${report.reason}` : report.state;
    io.out(`${report.name}\t${state}\n`);
    io.out(`  folder: ${report.folder}${report.builtin ? ' (built-in)' : ''}\n`);
    if (report.signals.length > 0) io.out(`  signals: ${report.signals.join(', ')}\n`);
    if (report.providers.length > 0) io.out(`  providers: ${report.providers.join(', ')}\n`);
    if (report.credentials.length > 0) io.out(`  credentials: ${report.credentials.join(', ')}\n`);
  }
  return ExitCode.ok;
}
