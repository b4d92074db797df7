import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** A plugin folder found on disk, before loading. */
export interface DiscoveredPlugin {
  folder: string;
  /** Folder name, used until the plugin's own name is known. */
  folderName: string;
  /** `name` from the folder's package.json, if any. */
  packageName?: string;
  /** Absolute entry file, or the reason none was found. */
  entry: string | { error: string };
  builtin: boolean;
}

const INDEX_FILES = ['index.ts', 'index.mts', 'index.js', 'index.mjs', 'index.cjs'];

/**
 * Lists plugin folders: every sub-folder of each plugin dir (built-ins first), in name
 * order. A dir listed twice (or a user dir that is the built-in one) is read once.
 */
export function discoverPlugins(builtinDir: string | null, userDirs: readonly string[]): DiscoveredPlugin[] {
  const seen = new Set<string>();
  const found: DiscoveredPlugin[] = [];
  const dirs = [...(builtinDir ? [{ dir: builtinDir, builtin: true }] : []), ...userDirs.map((dir) => ({ dir, builtin: false }))];
  for (const { dir, builtin } of dirs) {
    if (!existsSync(dir)) continue;
    const real = realpathSync(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    for (const name of readdirSync(real).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const folder = path.join(real, name);
      if (!statSync(folder).isDirectory()) continue;
      found.push({ folder, folderName: name, builtin, ...describeEntry(folder) });
    }
  }
  return found;
}

function describeEntry(folder: string): { entry: DiscoveredPlugin['entry']; packageName?: string } {
  const manifestPath = path.join(folder, 'package.json');
  if (existsSync(manifestPath)) {
    let manifest: { name?: unknown; main?: unknown; exports?: unknown };
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
    } catch (error) {
      return { entry: { error: `package.json is not valid JSON (${(error as Error).message})` } };
    }
    const packageName = typeof manifest.name === 'string' ? manifest.name : undefined;
    const declared = exportsEntry(manifest.exports) ?? (typeof manifest.main === 'string' ? manifest.main : undefined);
    if (declared) {
      const entry = path.resolve(folder, declared);
      return existsSync(entry) ? { entry, packageName } : { entry: { error: `package.json entry ${declared} does not exist` }, packageName };
    }
    return { entry: indexEntry(folder), packageName };
  }
  return { entry: indexEntry(folder) };
}

function indexEntry(folder: string): DiscoveredPlugin['entry'] {
  const index = INDEX_FILES.find((file) => existsSync(path.join(folder, file)));
  return index ? path.join(folder, index) : { error: `no entry (package.json main/exports or ${INDEX_FILES.join('/')})` };
}

/** `exports: "./x"` or `exports: { ".": "./x" | { import|require|default: "./x" } }`. */
function exportsEntry(exportsField: unknown): string | undefined {
  if (typeof exportsField === 'string') return exportsField;
  if (!exportsField || typeof exportsField !== 'object') return undefined;
  const root = (exportsField as Record<string, unknown>)['.'] ?? exportsField;
  if (typeof root === 'string') return root;
  if (root && typeof root === 'object') {
    for (const condition of ['import', 'require', 'default', 'node']) {
      const value = (root as Record<string, unknown>)[condition];
      if (typeof value === 'string') return value;
    }
  }
  return undefined;
}
