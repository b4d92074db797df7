import type { DesiredKey } from './apply-owned-keys';
import type { EditableConfig } from './editable-config';

/** The clients `tokenpak integrate` knows. */
export const INTEGRATION_CLIENTS = ['claude-code', 'codex', 'openclaw'] as const;
export type IntegrationClient = (typeof INTEGRATION_CLIENTS)[number];

/** What an integration needs to know about the user's set-up. */
export interface IntegrationContext {
  env: NodeJS.ProcessEnv;
  home: string;
  /** The proxy's base URL from the running config, e.g. `http://127.0.0.1:8766`. */
  proxyUrl: string;
  /** Codex's login file (`credentials.codex`, default `~/.codex/auth.json`). */
  codexAuthFile: string;
}

/** The keys that point one client at TokenPak, and what to tell the user about them. */
export interface IntegrationPlan {
  keys: DesiredKey[];
  notes: string[];
}

/** One client: where its config lives, its format, and the keys TokenPak owns in it. */
export interface ClientIntegration {
  client: IntegrationClient;
  title: string;
  configFile(context: IntegrationContext): string;
  /** Text for a config file that does not exist yet. */
  seed: string;
  parse(text: string, file: string): Promise<EditableConfig>;
  /** Throws ClientConfigError when the file has nothing TokenPak can point (the file is left alone). */
  plan(config: EditableConfig, context: IntegrationContext): Promise<IntegrationPlan>;
}
