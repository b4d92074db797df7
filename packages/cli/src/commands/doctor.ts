import { ConfigError, coreVersion, createLogger, createTokenPak, ProviderRegistry, CredentialRegistry, TOKENS, type TokenPak } from '@tokenpak/core';
import { parseArgs } from 'node:util';
import { fail, ok, type CheckResult } from '../doctor/check-result';
import { claudeChecks, type ClaudeVersion } from '../doctor/claude-checks';
import { codexLoginCheck } from '../doctor/codex-login-check';
import { integrationChecks } from '../doctor/integration-checks';
import { ledgerCheck } from '../doctor/ledger-check';
import { nodeCheck } from '../doctor/node-check';
import { onlineChecks } from '../doctor/online-checks';
import { pluginChecks } from '../doctor/plugin-checks';
import { portCheck } from '../doctor/port-check';
import { providerChecks, type ProviderFacts } from '../doctor/provider-checks';
import { ExitCode, type CliIo } from '../io';
import { integrationContext } from '../integrations/integration-context';
import { readIntegrationRecord } from '../integrations/integration-record';
import { configOption, loadCliConfig } from './shared-options';

export const doctorHelp = `tokenpak doctor [--json] [--online] [--config <file>]
  Check the set-up, one line per check (ok / warn / fail, with the fix): Node, config, port,
  plugins, providers and their credentials, the claude CLI and its login, the Codex login,
  the ledger, and each client's integration. No network call unless --online (then one HEAD
  per upstream: reachability and latency). --json prints the same as one object for bug
  reports. Exits 1 when any check fails.`;

export async function doctorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...configOption, json: { type: 'boolean' }, online: { type: 'boolean' } }, strict: true });
  const checks = await runChecks(io, values.config, values.online === true);
  const failed = checks.some((check) => check.status === 'fail');
  if (values.json) {
    io.out(`${JSON.stringify({ tokenpak: coreVersion(), platform: `${process.platform}-${process.arch}`, ok: !failed, checks }, null, 2)}\n`);
  } else {
    const width = Math.max(...checks.map((check) => check.id.length));
    for (const check of checks) {
      io.out(`${check.status.padEnd(4)}  ${check.id.padEnd(width)}  ${check.detail}${check.fix ? ` → fix: ${check.fix}` : ''}\n`);
    }
    const count = (status: CheckResult['status']) => checks.filter((check) => check.status === status).length;
    io.out(`\n${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail\n`);
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}

async function runChecks(io: CliIo, configPath: string | undefined, online: boolean): Promise<CheckResult[]> {
  const checks: CheckResult[] = [nodeCheck()];
  let resolved;
  try {
    resolved = await loadCliConfig(io, configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push(fail('config', error.message.split('\n').join('; '), 'fix the keys named above (tokenpak config shows the resolved config)'));
    return checks;
  }
  const { config } = resolved;
  checks.push(
    ok('config', resolved.source ? `config ${resolved.source} is valid` : 'no config file found: built-in defaults apply', { file: resolved.source }),
  );
  checks.push(await portCheck(config, io.env));

  let tokenpak: TokenPak;
  try {
    tokenpak = await createTokenPak({ config: resolved, logger: createLogger('silent') });
  } catch (error) {
    checks.push(fail('plugins', `TokenPak could not be set up: ${(error as Error).message}`, 'see the message; tokenpak start would stop with the same error'));
    return checks;
  }
  checks.push(...pluginChecks(tokenpak.plugins));

  const now = Date.now();
  const providerRegistry = tokenpak.container.resolve<ProviderRegistry>(TOKENS.ProviderRegistry);
  const credentialRegistry = tokenpak.container.resolve<CredentialRegistry>(TOKENS.CredentialRegistry);
  const providers: ProviderFacts[] = providerRegistry.names().map((name) => ({
    name,
    upstream: providerRegistry.upstreamOf(name),
    credentials: config.providers[name]?.credentials ?? 'caller',
  }));
  checks.push(...(await providerChecks(providers, credentialRegistry.names(), config, io.env, now)));

  const probe = tokenpak.container.resolve<{ version(): Promise<ClaudeVersion> }>(TOKENS.ClaudeCliProbe);
  checks.push(...(await claudeChecks(config, await probe.version(), io.env, now)));
  checks.push(await codexLoginCheck(config, io.env));
  checks.push(await ledgerCheck(config, io.env));

  const record = await readIntegrationRecord(config.state.dir).catch((error: Error) => {
    checks.push(fail('integrations', error.message, 'fix or remove that file'));
    return null;
  });
  checks.push(...(await integrationChecks(integrationContext(resolved, io.env), record)));
  if (online) checks.push(...(await onlineChecks(providers)));
  return checks;
}
