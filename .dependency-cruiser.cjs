/**
 * The layering of packages/core/src, checked on every `npm test` (docs/ARCHITECTURE.md §Layers).
 * A folder may import its own files and any folder in a LOWER layer; never a folder in its own
 * layer or above. Plugins compile against the plugin surface only; the CLI against the core's
 * public entry points only.
 */
const CORE = '^packages/core/src/';

/** Lowest first. Entries are folders under packages/core/src, or single top-level modules (`name.ts`). */
const LAYERS = [
  ['log'],
  ['http'],
  ['usage', 'di-tokens.ts', 'runtime-options.ts'],
  ['config'],
  ['pricing', 'bridge', 'decision'],
  ['credentials', 'providers'],
  ['routing'],
  ['ledger'],
  ['backends', 'plugins'],
  ['server', 'plugin-api.ts'],
  ['container.ts'],
  ['reload'],
  ['tokenpak.ts'],
  ['index.ts'],
];

const pattern = (entry) => CORE + (entry.endsWith('.ts') ? entry.replace('.', '\\.') + '$' : entry + '/');
const escapeAll = (entries) => entries.map(pattern).join('|');

const layerRules = LAYERS.flatMap((layer, level) => {
  const lower = LAYERS.slice(0, level).flat();
  return layer.map((entry) => ({
    name: `layer:${entry}`,
    comment: `${entry} may import only itself and lower layers (${lower.join(', ') || 'none'})`,
    severity: 'error',
    from: { path: pattern(entry) },
    to: { path: CORE, pathNot: [pattern(entry), ...(lower.length ? [escapeAll(lower)] : [])] },
  }));
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order and layering accidental.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'plugins-use-plugin-surface',
      severity: 'error',
      comment: 'A plugin compiles against the plugin API only (what the loader exposes), never core internals.',
      from: { path: '^plugins/([^/]+)/' },
      to: { path: '^packages/', pathNot: '^packages/core/src/plugin-api\\.ts$' },
    },
    {
      name: 'plugins-are-isolated',
      severity: 'error',
      comment: 'Plugins do not import each other.',
      from: { path: '^plugins/([^/]+)/' },
      to: { path: '^plugins/', pathNot: '^plugins/$1/' },
    },
    {
      name: 'cli-uses-core-entry',
      severity: 'error',
      comment: 'The CLI imports the core through its package entry (index.ts), not its internals.',
      from: { path: '^packages/cli/src/' },
      to: { path: CORE, pathNot: CORE + '(index|plugin-api)\\.ts$' },
    },
    {
      name: 'core-does-not-use-cli-or-plugins',
      severity: 'error',
      from: { path: CORE },
      to: { path: '^(packages/cli|plugins)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
