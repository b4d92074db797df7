import type { DependencyContainer } from 'tsyringe';
import { createContainer, type ContainerOptions } from '../container';
import { TOKENS } from '../di-tokens';

/**
 * Services that outlive a config generation: one instance for the process, handed to every
 * generation's container. Why each is shared rather than rebuilt on reload:
 * * `ServerStats`: in-flight and request counters span generations (shutdown drains on it; status keeps counting).
 * * `LedgerRecorder`, `LedgerFeed`, `PriceBook`: one writer thread owns the SQLite file; two would fight over it,
 *   and the live feed's subscribers must keep receiving rows. `ledger.*`, `pricing` and `state.dir` therefore
 *   take effect at the next start.
 * * `CompanionSessionStore`: the only writer of `companion-sessions.json` (two would overwrite each other's turns).
 * * `CompanionScheduler`: `companion.maxConcurrent` and one-run-per-session must hold across the old and the new
 *   generation while both serve.
 * * `OpenWork`: the open WebSockets and the ledger rows still being measured, of every generation: shutdown
 *   (on the listening server) sends them close 1001 and waits for their rows before closing the ledger.
 * Everything else (bridge, registries, plugins, resolver, forwarder pools, companion backend) is per generation.
 */
export const SHARED_ACROSS_GENERATIONS: readonly symbol[] = [
  TOKENS.ServerStats,
  TOKENS.LedgerRecorder,
  TOKENS.LedgerFeed,
  TOKENS.PriceBook,
  TOKENS.CompanionSessionStore,
  TOKENS.CompanionScheduler,
  TOKENS.OpenWork,
];

/**
 * A container for a new generation: every registration `createContainer` makes (so services
 * added there are picked up), with the shared services re-registered as the first
 * generation's instances (tsyringe resolves a token's last registration).
 */
export function createGenerationContainer(first: DependencyContainer, options: ContainerOptions): DependencyContainer {
  const container = createContainer(options);
  for (const token of SHARED_ACROSS_GENERATIONS) container.register(token, { useValue: first.resolve(token) });
  return container;
}
