import type { PluginReport } from '@tokenpak/core';
import { ok, warn, type CheckResult } from './check-result';

/** One line per discovered plugin; a failed one says why and how to fix or silence it. */
export function pluginChecks(reports: readonly PluginReport[]): CheckResult[] {
  return reports.map((report) => {
    const id = `plugin:${report.name}`;
    const facts = { folder: report.folder, builtin: report.builtin, state: report.state };
    if (report.state === 'failed') {
      return warn(
        id,
        `plugin ${report.name} failed to load (${report.folder}): ${report.reason ?? 'unknown reason'}`,
        `fix the plugin, or add "${report.name}" to plugins.disabled; the proxy runs without it`,
        facts,
      );
    }
    return ok(id, `plugin ${report.name} ${report.state}${report.builtin ? ' (built-in)' : ''}`, facts);
  });
}
