/**
 * `@tokenpak/core/plugin`: everything a plugin may import, and the package `exports`
 * subpath outside authors compile against. The plugin host aliases `@tokenpak/core/plugin`
 * (and the bare `@tokenpak/core`) to this module when it loads a plugin, so a drop-in
 * plugin folder anywhere on disk resolves it without installing anything; an import of
 * anything not exported here fails the plugin's type check.
 */
export { definePlugin } from './plugins/define-plugin';
export { PLUGIN_API_VERSION } from './plugins/types';
export type { PluginContext, TokenPakPlugin, PluginReport, PluginState } from './plugins/types';
export type { PlatformSignal, PlatformOrigin, SignalRequest, Disposer } from './bridge/types';
export type { CredentialProvider, CredentialPlan, CredentialRequest } from './credentials/types';
export { CredentialUnavailableError } from './credentials/types';
export { readCredentialFile, stringAt } from './credentials/read-credential-file';
export type { ProviderDefinition } from './providers/types';
export type { Logger } from './log/logger';
export type { PluginConfigView } from './plugins/plugin-config-view';
