import { createJiti } from 'jiti';

/**
 * Loads `tokenpak.config.{js,mjs,cjs,ts}` through jiti instead of cosmiconfig's default
 * loaders: TypeScript configs then need no `typescript` install at run time, and ESM
 * configs load in any host (including test runners without VM-module support).
 */
export async function loadConfigModule(filepath: string): Promise<unknown> {
  const jiti = createJiti(__filename, { interopDefault: true, fsCache: false, moduleCache: false });
  return jiti.import(filepath, { default: true });
}
