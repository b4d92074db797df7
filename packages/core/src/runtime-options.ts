/** Process-level facts the container needs besides the config. */
export interface RuntimeOptions {
  /** Folder holding the built-in plugins (`<repo>/plugins`), or null to load none. */
  builtinPluginsDir: string | null;
  /** TokenPak's version, for `/tokenpak/status`. */
  version: string;
  /** Bound on each plugin's import and, separately, its `setup`, in ms. Default 10 000 (ARCHITECTURE §7). */
  pluginTimeoutMs?: number;
}
