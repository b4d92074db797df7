import { isDeepStrictEqual } from 'node:util';
import { shownPath } from '../home-dir';
import { ownedKeysInPlace } from '../integrations/apply-owned-keys';
import { ClientConfigError } from '../integrations/client-config-error';
import type { IntegrationContext } from '../integrations/client-integration';
import type { IntegrationRecord } from '../integrations/integration-record';
import { INTEGRATIONS } from '../integrations/integrations';
import { readClientConfig } from '../integrations/read-client-config';
import { ok, warn, type CheckResult } from './check-result';

/**
 * Each client's integration state: pointed at this TokenPak (by `tokenpak integrate` or by
 * hand), changed since `integrate`, not pointed, or not set up on this machine at all.
 */
export async function integrationChecks(context: IntegrationContext, record: IntegrationRecord | null): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const integration of Object.values(INTEGRATIONS)) {
    const id = `integration:${integration.client}`;
    const file = integration.configFile(context);
    const shown = shownPath(file, context.env);
    const entry = record?.clients[integration.client];
    const integrate = `tokenpak integrate ${integration.client} (or: tokenpak run ${integration.client === 'claude-code' ? 'claude' : integration.client})`;
    const text = await readClientConfig(file);
    if (text === null) {
      results.push(ok(id, `${integration.title}: no ${shown} (not set up here; ${integrate} when you use it)`, { file, state: 'absent' }));
      continue;
    }
    try {
      const config = await integration.parse(text, shown);
      if (entry && entry.file === file) {
        results.push(
          ownedKeysInPlace(config, entry.changes)
            ? ok(id, `${integration.title}: integrated (tokenpak integrate, ${entry.integratedAt}) in ${shown}`, { file, state: 'integrated' })
            : warn(
                id,
                `${integration.title}: ${shown} changed since tokenpak integrate; it no longer points at ${context.proxyUrl}`,
                `tokenpak integrate ${integration.client}`,
                { file, state: 'changed' },
              ),
        );
        continue;
      }
      const plan = await integration.plan(config, context);
      const pointed = plan.keys.every((key) => isDeepStrictEqual(config.get(key.path), key.value));
      results.push(
        pointed
          ? ok(id, `${integration.title}: ${shown} points at ${context.proxyUrl} (set by hand)`, { file, state: 'manual' })
          : warn(id, `${integration.title}: ${shown} does not point at ${context.proxyUrl}`, integrate, { file, state: 'not-integrated' }),
      );
    } catch (error) {
      if (!(error instanceof ClientConfigError)) throw error;
      results.push(warn(id, `${integration.title}: ${error.message}`, `fix ${shown}, then ${integrate}`, { file, state: 'unreadable' }));
    }
  }
  return results;
}
