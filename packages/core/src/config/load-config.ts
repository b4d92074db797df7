import { cosmiconfig, type PublicExplorer } from 'cosmiconfig';
import { homedir } from 'node:os';
import path from 'node:path';
import { ConfigError } from './config-error';
import { applyEnvOverrides } from './env-overrides';
import { loadConfigModule } from './module-loader';
import { configSchema, type TokenPakConfig } from './schema';

export const CONFIG_MODULE_NAME = 'tokenpak';

/** Every place cosmiconfig looks, in order (ARCHITECTURE §4). */
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  'tokenpak.config.json',
  '.tokenpakrc',
  '.tokenpakrc.json',
  '.tokenpakrc.yaml',
  '.tokenpakrc.yml',
  'tokenpak.config.js',
  'tokenpak.config.mjs',
  'tokenpak.config.cjs',
  'tokenpak.config.ts',
];

export interface LoadConfigOptions {
  /** `--config <file>`: load exactly this file instead of searching. */
  configPath?: string;
  /** Where the search starts (default: the process's cwd). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The validated config plus where it came from. */
export interface ResolvedConfig {
  config: TokenPakConfig;
  /** Absolute path of the config file, or null when only defaults (and env) apply. */
  source: string | null;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Config key paths set from the environment, with the variable that set them. */
  fromEnv: ReadonlyMap<string, string>;
}

function createExplorer(): PublicExplorer {
  const loaders = { '.js': loadConfigModule, '.mjs': loadConfigModule, '.cjs': loadConfigModule, '.ts': loadConfigModule };
  return cosmiconfig(CONFIG_MODULE_NAME, { searchPlaces: CONFIG_SEARCH_PLACES, searchStrategy: 'global', cache: false, loaders });
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explorer = createExplorer();
  const requested = options.configPath ? path.resolve(cwd, options.configPath) : undefined;
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    found = requested ? await explorer.load(requested) : await explorer.search(cwd);
  } catch (error) {
    const file = requested ?? describeSearchFailure(error) ?? cwd;
    throw new ConfigError(file, [{ path: '', message: readableLoadError(error) }]);
  }
  const source = found ? found.filepath : null;
  const raw = found && !found.isEmpty ? found.config : {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source ?? 'config', [{ path: '', message: 'must be a JSON object' }]);
  }
  const { config: withEnv, fromEnv } = applyEnvOverrides(raw as Record<string, unknown>, env);
  const parsed = configSchema.safeParse(withEnv);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const keyPath = issue.path.map(String).join('.');
      const variable = fromEnv.get(keyPath);
      const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      if (unknownKeys.length > 0) {
        return {
          path: [keyPath, unknownKeys[0]].filter(Boolean).join('.'),
          message: `unknown key${unknownKeys.length > 1 ? `s ${unknownKeys.join(', ')}` : ''}`,
        };
      }
      return { path: variable ? `${keyPath} (from ${variable})` : keyPath, message: issue.message };
    });
    throw new ConfigError(source ?? 'environment', problems);
  }
  const baseDir = source ? path.dirname(source) : cwd;
  return { config: resolvePaths(parsed.data, baseDir, env), source, baseDir, fromEnv };
}

/** Expands `~` and makes path-valued keys absolute against the config file's folder. */
function resolvePaths(config: TokenPakConfig, baseDir: string, env: NodeJS.ProcessEnv): TokenPakConfig {
  const home = env.HOME || homedir();
  const resolve = (value: string): string => {
    if (value === '~') return home;
    if (value.startsWith('~/')) return path.join(home, value.slice(2));
    return path.resolve(baseDir, value);
  };
  const stateDir = resolve(config.state.dir);
  return {
    ...config,
    state: { dir: stateDir },
    plugins: { ...config.plugins, dirs: config.plugins.dirs.map(resolve) },
    companion: { ...config.companion, cwd: config.companion.cwd ? resolve(config.companion.cwd) : path.join(stateDir, 'companion') },
    credentials: { claudeCode: resolve(config.credentials.claudeCode), codex: resolve(config.credentials.codex) },
  };
}

function readableLoadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') return 'file not found';
  return message.replace(/^JSON Error in [^:]+:\s*/, 'malformed: ');
}

function describeSearchFailure(error: unknown): string | undefined {
  const filepath = (error as { filepath?: unknown })?.filepath;
  if (typeof filepath === 'string') return filepath;
  const match = error instanceof Error ? /(?:JSON|YAML) Error in (\S+?):/.exec(error.message) : null;
  return match?.[1];
}
