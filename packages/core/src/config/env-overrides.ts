/**
 * Environment variables that override config keys. Applied to the raw config before
 * validation, so a bad value is reported like a bad file value (naming the variable).
 */
export interface EnvOverride {
  variable: string;
  path: readonly string[];
  parse(value: string): unknown;
}

const asNumber = (value: string): unknown => (/^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value);
const asString = (value: string): unknown => value;
const isOn = (value: string): boolean => /^(1|true|yes|on)$/i.test(value.trim());
const isOff = (value: string): boolean => /^(0|false|no|off)$/i.test(value.trim());

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { variable: 'TOKENPAK_HOST', path: ['server', 'host'], parse: asString },
  { variable: 'TOKENPAK_PORT', path: ['server', 'port'], parse: asNumber },
  { variable: 'TOKENPAK_AUTH_TOKEN', path: ['server', 'authToken'], parse: asString },
  { variable: 'TOKENPAK_HOME', path: ['state', 'dir'], parse: asString },
  { variable: 'TOKENPAK_LOG_LEVEL', path: ['log', 'level'], parse: (value) => value.trim().toLowerCase() },
  { variable: 'TOKENPAK_DUMP_HEADERS', path: ['log', 'dumpHeaders'], parse: (value) => isOn(value) },
  { variable: 'TOKENPAK_COMPANION_DISPATCH', path: ['companion', 'dispatch'], parse: (value) => !isOff(value) },
  { variable: 'TOKENPAK_OAUTH_NO_CONTINUE', path: ['companion', 'continue'], parse: (value) => !isOn(value) },
  { variable: 'TOKENPAK_CLAUDE_BIN', path: ['companion', 'command'], parse: asString },
  { variable: 'TOKENPAK_LEDGER', path: ['ledger', 'enabled'], parse: (value) => !isOff(value) },
];

/** Returns a copy of `raw` with the overrides set in `env` applied, and which keys they set. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): { config: Record<string, unknown>; fromEnv: Map<string, string> } {
  const config = structuredClone(raw);
  const fromEnv = new Map<string, string>();
  for (const override of ENV_OVERRIDES) {
    const value = env[override.variable];
    if (value === undefined || value === '') continue;
    let node = config;
    for (const key of override.path.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[override.path[override.path.length - 1]!] = override.parse(value);
    fromEnv.set(override.path.join('.'), override.variable);
  }
  return { config, fromEnv };
}
