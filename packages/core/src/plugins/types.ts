import type { Disposer, PlatformSignal } from '../bridge/types';
import type { CredentialProvider } from '../credentials/types';
import type { Logger } from '../log/logger';
import type { ProviderDefinition } from '../providers/types';
import type { PluginConfigView } from './plugin-config-view';

/** The plugin API version this host implements. */
export const PLUGIN_API_VERSION = 1;

/**
 * What a plugin's `setup` receives. Everything it registers is undone when the plugin is
 * unloaded. Each `register` throws when the name is already held by a built-in or by
 * another plugin (refused and reported, never silently replaced).
 */
export interface PluginContext {
  bridge: { register(signal: PlatformSignal): Disposer };
  credentials: { register(provider: CredentialProvider): Disposer };
  providers: { register(definition: ProviderDefinition): Disposer };
  /** This plugin's `plugins.settings.<name>` from the config (frozen; `{}` when absent). */
  settings: Readonly<Record<string, unknown>>;
  logger: Logger;
  /** A frozen view of the config values a plugin may read (paths absolute); not the live config. */
  config: PluginConfigView;
}

export interface TokenPakPlugin {
  name: string;
  apiVersion: typeof PLUGIN_API_VERSION;
  /** Registers the plugin's parts. May return a disposer for anything else it set up. */
  setup(ctx: PluginContext): void | Disposer | Promise<void | Disposer>;
}

export type PluginState = 'loaded' | 'disabled' | 'failed';

/** One discovered plugin folder and what became of it. */
export interface PluginReport {
  /** The plugin's name (from `definePlugin`, else the folder name). */
  name: string;
  folder: string;
  builtin: boolean;
  state: PluginState;
  /** Why it failed or is disabled. */
  reason?: string;
  /** Names of the platform signals it registered. */
  signals: string[];
  credentials: string[];
  providers: string[];
  /** Registrations refused because the name was taken (`platform signal "x" is already registered by …`). */
  refused: string[];
}
