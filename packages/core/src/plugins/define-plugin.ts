import type { TokenPakPlugin } from './types';

/** Identity helper that gives a plugin's default export full type checking. */
export function definePlugin(plugin: TokenPakPlugin): TokenPakPlugin {
  return plugin;
}
