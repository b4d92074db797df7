import { explainRoute } from '@tokenpak/core';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ExitCode, UsageError, type CliIo } from '../io';
import { configOption, loadTokenPak } from './shared-options';

export const routeHelp = `tokenpak route [-H 'Name: value' ...] [--path /v1/messages] [--method POST] [--body <file.json>] [--json]
  Dry run: print the decision the proxy would make for this request, and the rules that fired.
  Nothing is sent anywhere. Credentials in the echoed headers are redacted.`;

export async function routeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...configOption,
      header: { type: 'string', short: 'H', multiple: true },
      path: { type: 'string' },
      method: { type: 'string' },
      body: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`-H expects 'Name: value', got '${header}'`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  const path = values.path ?? '/v1/messages';
  if (!path.startsWith('/')) throw new UsageError('--path must start with /');
  let body: unknown;
  if (values.body) {
    try {
      body = JSON.parse(readFileSync(values.body, 'utf8'));
    } catch (error) {
      throw new UsageError(`--body ${values.body}: ${(error as Error).message}`);
    }
  }
  const tokenpak = await loadTokenPak(io, values.config);
  let explanation;
  try {
    explanation = explainRoute(tokenpak.resolver, { method: values.method, path, headers, body }, tokenpak.config.config.routing.maxInspectBytes);
  } catch (error) {
    throw new UsageError(`invalid header: ${(error as Error).message}`);
  }
  if (values.json) {
    io.out(`${JSON.stringify(explanation, null, 2)}\n`);
    return ExitCode.ok;
  }
  const { decision } = explanation;
  io.out(`${explanation.routeHeader}\n\n`);
  io.out(`provider:    ${decision.provider ?? 'none'} (${decision.providerSource})\n`);
  io.out(`backend:     ${decision.backend} via ${decision.via}\n`);
  io.out(`credentials: ${decision.credentialSource}\n`);
  io.out(`upstream:    ${decision.upstreamUrl || 'none'}\n\n`);
  io.out('why:\n');
  explanation.reasons.forEach((reason, index) => io.out(`  ${index + 1}. ${reason}\n`));
  return ExitCode.ok;
}
