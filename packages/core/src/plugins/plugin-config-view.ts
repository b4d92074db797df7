import type { TokenPakConfig } from '../config/schema';

/**
 * What of the TokenPak config a plugin may read: a deep-frozen copy made once per plugin
 * load, never the live config object (a plugin cannot alter the host's config, and sees
 * no server secrets such as `server.authToken`).
 */
export interface PluginConfigView {
  /** Absolute paths of the local login files (`credentials.*` in the config). */
  readonly credentials: { readonly claudeCode: string; readonly codex: string };
  /** Configured providers: name → upstream base URL (credential-free by config validation). */
  readonly providers: Readonly<Record<string, { readonly upstream?: string }>>;
}

export function pluginConfigView(config: TokenPakConfig): PluginConfigView {
  const providers: Record<string, { upstream?: string }> = {};
  for (const [name, provider] of Object.entries(config.providers)) {
    providers[name] = Object.freeze(provider?.upstream === undefined ? {} : { upstream: provider.upstream });
  }
  return Object.freeze({
    credentials: Object.freeze({ claudeCode: config.credentials.claudeCode, codex: config.credentials.codex }),
    providers: Object.freeze(providers),
  });
}
