import { createJiti } from 'jiti';

/** The module plugins get for `import … from '@tokenpak/core'` (see plugin-api.ts). */
const PLUGIN_API_MODULE = require.resolve('../plugin-api');

/**
 * Loads a plugin entry: `.ts` without a build step, `.js`/`.mjs`/`.cjs` as they are.
 * jiti transpiles TypeScript and ESM on the fly; `@tokenpak/core` resolves to the
 * plugin API of the running host, wherever the plugin folder lives.
 */
export async function loadPluginModule(entry: string): Promise<unknown> {
  const jiti = createJiti(__filename, {
    alias: { '@tokenpak/core': PLUGIN_API_MODULE },
    interopDefault: true,
    // Transpiled output is cached on disk (keyed by content): a warm start never loads the
    // transpiler, which otherwise costs ~30 MB of RSS for the life of the process.
    fsCache: true,
  });
  return jiti.import(entry, { default: true });
}
