import type { TokenPakConfig } from '../config/schema';

/**
 * Config keys a reload cannot apply: the listening socket, the process-wide shared services
 * (shared-services.ts) and the logger the CLI built. Each is [key, value reader].
 */
const RESTART_ONLY: ReadonlyArray<readonly [string, (config: TokenPakConfig) => unknown]> = [
  ['server.host', (config) => config.server.host],
  ['server.port', (config) => config.server.port],
  ['server.shutdownTimeoutMs', (config) => config.server.shutdownTimeoutMs],
  ['state.dir', (config) => config.state.dir],
  ['ledger', (config) => config.ledger],
  ['pricing', (config) => config.pricing],
  ['log.level', (config) => config.log.level],
];

/** The restart-only keys whose value differs between the running and the reloaded config. */
export function restartOnlyChanges(running: TokenPakConfig, reloaded: TokenPakConfig): string[] {
  return RESTART_ONLY.filter(([, read]) => JSON.stringify(read(running)) !== JSON.stringify(read(reloaded))).map(([key]) => key);
}
