import { createJiti } from 'jiti';

/**
 * The module plugins get for `import … from '@tokenpak/core/plugin'` (plugin-api.ts): the
 * same module the package's `exports["./plugin"]`, tsconfig `paths` and jest's
 * moduleNameMapper point at, so what type-checks is what loads. The bare `@tokenpak/core`
 * (the wave-1 spelling) resolves to the same plugin API, never to the host's internals.
 */
const PLUGIN_API_MODULE = require.resolve('../plugin-api');

/**
 * Loads a plugin entry: `.ts` without a build step, `.js`/`.mjs`/`.cjs` as they are.
 * jiti transpiles TypeScript and ESM on the fly; `@tokenpak/core` resolves to the
 * plugin API of the running host, wherever the plugin folder lives.
 */
export async function loadPluginModule(entry: string): Promise<unknown> {
  const jiti = createJiti(__filename, {
    alias: { '@tokenpak/core/plugin': PLUGIN_API_MODULE, '@tokenpak/core': PLUGIN_API_MODULE },
    interopDefault: true,
    // Transpiled output is cached on disk (keyed by content): a warm start never loads the
    // transpiler, which otherwise costs ~30 MB of RSS for the life of the process.
    fsCache: true,
  });
  return jiti.import(entry, { default: true });
}
