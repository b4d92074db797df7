import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServerChild, type ServerChild } from './child-processes';

/** TokenPak as users run it: the real CLI, built output, its own process. */

export const REPO_ROOT = path.resolve(__dirname, '..');
const CLI_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'tokenpak.js');
const BUILT_OUTPUTS = ['packages/cli/dist', 'packages/core/dist'].map((dir) => path.join(REPO_ROOT, dir));
const SOURCES = ['packages/cli/src', 'packages/core/src'].map((dir) => path.join(REPO_ROOT, dir));

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Builds TokenPak when its compiled output is missing. When it exists but is older than
 * the sources, it only warns: the bench measures what `tokenpak start` would run.
 */
export function ensureTokenPakBuilt(): void {
  if (BUILT_OUTPUTS.some((dir) => !existsSync(dir))) {
    process.stderr.write('TokenPak is not built: running `npm run build`\n');
    const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', process.stderr, process.stderr] });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.error?.message ?? `exit ${build.status}`})`);
    return;
  }
  const builtAt = Math.min(...BUILT_OUTPUTS.map(newestMtimeMs));
  if (SOURCES.some((dir) => newestMtimeMs(dir) > builtAt)) {
    process.stderr.write('warning: packages/*/src changed after the last build; run `npm run build` to bench the current code\n');
  }
}

/**
 * The bench config: ephemeral port, quiet logs, a throwaway state dir, every provider
 * pointed at the mock. The companion is off so the OpenClaw-detected request (provider
 * tokenpak-claude-code) is HTTP-forwarded to the mock rather than handed to a `claude`
 * CLI, and shutdown does not wait 30 s for in-flight requests.
 */
export function writeTokenPakConfig(dir: string, upstream: ServerChild): string {
  const file = path.join(dir, 'tokenpak.bench.config.json');
  const config = {
    server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 1_000 },
    log: { level: 'warn' },
    state: { dir: path.join(dir, 'state') },
    companion: { dispatch: false },
    providers: {
      'tokenpak-anthropic': { upstream: upstream.url },
      'tokenpak-openai': { upstream: upstream.url },
      'tokenpak-claude-code': { upstream: upstream.url },
    },
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** TOKENPAK_* variables override the config file; the bench's config must be the one in force. */
function envWithoutTokenPakOverrides(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOKENPAK_')));
}

export function startTokenPak(configFile: string): Promise<ServerChild> {
  return startServerChild({
    name: 'tokenpak',
    command: process.execPath,
    args: [CLI_BIN, 'start', '--config', configFile],
    cwd: REPO_ROOT,
    env: envWithoutTokenPakOverrides(),
  });
}
