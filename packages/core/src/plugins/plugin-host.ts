import { inject, injectable } from 'tsyringe';
import type { PlatformBridge } from '../bridge/platform-bridge';
import type { Disposer } from '../bridge/types';
import type { ResolvedConfig } from '../config/load-config';
import type { CredentialRegistry } from '../credentials/credential-registry';
import { errorMessage } from '../log/error-message';
import type { Logger } from '../log/logger';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { RuntimeOptions } from '../runtime-options';
import { TOKENS } from '../di-tokens';
import { CALLER_CREDENTIALS } from '../credentials/credential-registry';
import { Provider } from '../decision/route-decision';
import { discoverPlugins, type DiscoveredPlugin } from './discover-plugins';
import { pluginConfigView } from './plugin-config-view';
import { loadPluginModule } from './load-plugin-module';
import { PLUGIN_API_VERSION, type PluginContext, type PluginReport, type TokenPakPlugin } from './types';

type RegistryKind = 'signal' | 'credentials' | 'provider';
const REGISTRY_LABEL: Readonly<Record<RegistryKind, string>> = { signal: 'platform signal', credentials: 'credential source', provider: 'provider' };
/** Providers core defines from the config (the API identities); a plugin may add others, not replace these. */
const BUILTIN_PROVIDERS: ReadonlySet<string> = new Set(Object.values(Provider).filter((name) => name !== Provider.openaiCodex));

/** Bound on a plugin's import (module top level included) and, separately, on its `setup` (ARCHITECTURE §7). */
const DEFAULT_PLUGIN_TIMEOUT_MS = 10_000;

/**
 * Owns plugin discovery, loading, ordering and failure isolation (ARCHITECTURE §3).
 * A plugin that fails to load or set up is reported with its folder and reason, its
 * partial registrations are undone, and the proxy runs without it.
 */
@injectable()
export class PluginHost {
  private readonly loaded: Array<{ name: string; disposers: Disposer[] }> = [];
  private report: PluginReport[] = [];
  /**
   * Who holds each registered name, per registry ("signal:codex" → "codex"): a second
   * plugin registering a taken name is refused, never silently swapped in.
   */
  private readonly owners = new Map<string, string>();

  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.Runtime) private readonly runtime: RuntimeOptions,
    @inject(TOKENS.PlatformBridge) private readonly bridge: PlatformBridge,
    @inject(TOKENS.CredentialRegistry) private readonly credentials: CredentialRegistry,
    @inject(TOKENS.ProviderRegistry) private readonly providers: ProviderRegistry,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {}

  /** What became of every discovered plugin, in load order. */
  reports(): readonly PluginReport[] {
    return this.report;
  }

  async loadAll(): Promise<readonly PluginReport[]> {
    const { dirs, disabled } = this.resolved.config.plugins;
    const names = new Set<string>();
    for (const discovered of discoverPlugins(this.runtime.builtinPluginsDir, dirs)) {
      const report = await this.loadOne(discovered, new Set(disabled), names);
      if (report.state === 'failed') this.logger.warn(`plugin in ${discovered.folder} failed: ${report.reason}`);
      else this.logger.debug(`plugin ${report.name}: ${report.state}`, { folder: discovered.folder });
      this.report.push(report);
    }
    return this.report;
  }

  private async loadOne(discovered: DiscoveredPlugin, disabled: ReadonlySet<string>, names: Set<string>): Promise<PluginReport> {
    const base = { folder: discovered.folder, builtin: discovered.builtin, signals: [], credentials: [], providers: [], refused: [] };
    const preliminaryName = discovered.packageName ?? discovered.folderName;
    const isDisabled = (name: string): boolean =>
      disabled.has(name) || disabled.has(discovered.folderName) || (!!discovered.packageName && disabled.has(discovered.packageName));
    if (isDisabled(preliminaryName)) return { ...base, name: discovered.folderName, state: 'disabled', reason: 'listed in plugins.disabled' };
    if (typeof discovered.entry !== 'string') return { ...base, name: discovered.folderName, state: 'failed', reason: discovered.entry.error };

    let plugin: TokenPakPlugin;
    try {
      plugin = validatePlugin(await withTimeout(loadPluginModule(discovered.entry), this.timeoutMs));
    } catch (error) {
      const reason =
        error instanceof PluginTimeout
          ? `timed out (loading ${discovered.entry} did not finish within ${this.timeoutMs / 1000}s)`
          : `failed to load ${discovered.entry}: ${firstLine(error)}`;
      return { ...base, name: discovered.folderName, state: 'failed', reason };
    }
    if (isDisabled(plugin.name)) return { ...base, name: plugin.name, state: 'disabled', reason: 'listed in plugins.disabled' };
    if (names.has(plugin.name)) return { ...base, name: plugin.name, state: 'failed', reason: `another plugin is already named "${plugin.name}"` };

    const report: PluginReport = { ...base, name: plugin.name, state: 'loaded', signals: [], credentials: [], providers: [], refused: [] };
    const disposers: Disposer[] = [];
    const owned: string[] = [];
    /** Set when setup failed or timed out: a late registration from a still-running setup is refused. */
    let closed = false;
    /**
     * Wraps a registry's `register`: refuses a name that a built-in or another plugin holds,
     * and records what was registered so the host can undo it and report it.
     */
    const tracked =
      <T extends { name: string }>(kind: RegistryKind, register: (item: T) => Disposer, names: string[]) =>
      (item: T): Disposer => {
        if (closed) throw new Error(`plugin "${plugin.name}" failed to set up; late registrations are refused`);
        const name = typeof item?.name === 'string' ? item.name : '';
        const key = `${kind}:${name}`;
        const holder = this.owners.get(key) ?? (this.isBuiltin(kind, name) ? 'TokenPak (built in)' : undefined);
        if (holder !== undefined && holder !== plugin.name) {
          const message = `${REGISTRY_LABEL[kind]} "${name}" is already registered by ${holder === 'TokenPak (built in)' ? holder : `plugin "${holder}"`}; refused`;
          report.refused.push(message);
          this.logger.warn(`plugin ${plugin.name}: ${message}`);
          throw new Error(message);
        }
        const disposer = register(item);
        disposers.push(disposer);
        if (!this.owners.has(key)) {
          this.owners.set(key, plugin.name);
          owned.push(key);
        }
        if (!names.includes(name)) names.push(name);
        return disposer;
      };
    const ctx: PluginContext = {
      bridge: { register: tracked('signal', (signal) => this.bridge.register(signal), report.signals) },
      credentials: { register: tracked('credentials', (provider) => this.credentials.register(provider), report.credentials) },
      providers: { register: tracked('provider', (definition) => this.providers.register(definition), report.providers) },
      settings: Object.freeze({ ...(this.resolved.config.plugins.settings[plugin.name] ?? {}) }),
      logger: this.logger.child(plugin.name),
      config: pluginConfigView(this.resolved.config),
    };
    const undo = (): void => {
      closed = true;
      disposeAll(disposers, this.logger);
      for (const key of owned) this.owners.delete(key);
    };
    try {
      const returned = await withTimeout(
        Promise.resolve().then(() => plugin.setup(ctx)),
        this.timeoutMs,
      );
      if (typeof returned === 'function') disposers.push(returned);
    } catch (error) {
      undo();
      const reason = error instanceof PluginTimeout ? `timed out (setup did not finish within ${this.timeoutMs / 1000}s)` : `setup threw: ${firstLine(error)}`;
      return { ...base, name: plugin.name, state: 'failed', reason, refused: report.refused };
    }
    names.add(plugin.name);
    this.loaded.push({ name: plugin.name, disposers });
    return report;
  }

  /** Names core registers itself: plugins may not replace them. */
  private isBuiltin(kind: RegistryKind, name: string): boolean {
    if (kind === 'credentials') return name === CALLER_CREDENTIALS || this.credentials.get(name) !== undefined;
    if (kind === 'provider') return name in this.resolved.config.providers && BUILTIN_PROVIDERS.has(name);
    return false;
  }

  /** The import / setup bound (runtime option, so tests need not wait 10 s). */
  private get timeoutMs(): number {
    return this.runtime.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  }

  /** Undoes every plugin's registrations, last loaded first. */
  unloadAll(): void {
    for (const plugin of this.loaded.splice(0).reverse()) disposeAll(plugin.disposers, this.logger);
    this.owners.clear();
  }
}

function validatePlugin(moduleValue: unknown): TokenPakPlugin {
  const candidate = (
    moduleValue && typeof moduleValue === 'object' && 'default' in moduleValue ? (moduleValue as { default: unknown }).default : moduleValue
  ) as Partial<TokenPakPlugin> | null;
  if (!candidate || typeof candidate !== 'object') throw new Error('the entry must default-export definePlugin({ name, apiVersion, setup })');
  if (typeof candidate.name !== 'string' || candidate.name.trim() === '') throw new Error('the plugin needs a non-empty "name"');
  if (candidate.apiVersion !== PLUGIN_API_VERSION) {
    throw new Error(`unsupported apiVersion ${JSON.stringify(candidate.apiVersion)} (this TokenPak supports ${PLUGIN_API_VERSION})`);
  }
  if (typeof candidate.setup !== 'function') throw new Error('the plugin needs a "setup" function');
  return candidate as TokenPakPlugin;
}

function disposeAll(disposers: Disposer[], logger: Logger): void {
  for (const dispose of disposers.splice(0).reverse()) {
    try {
      dispose();
    } catch (error) {
      logger.warn(`a plugin disposer threw: ${firstLine(error)}`);
    }
  }
}

function firstLine(error: unknown): string {
  return (
    errorMessage(error)
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'unknown error'
  );
}

/** A plugin's import or setup outlived its bound. */
class PluginTimeout extends Error {
  override readonly name = 'PluginTimeout';
}

/**
 * `promise`, or a `PluginTimeout` after `ms`. A late rejection of the abandoned promise is
 * swallowed (it must not become an unhandled rejection that ends the process).
 */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Referenced on purpose: a plugin whose import or setup never settles leaves nothing else
    // on the event loop, and an unreferenced timer would let Node exit silently (code 0).
    timer = setTimeout(() => reject(new PluginTimeout(`did not finish within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
