import { createLogger, createTokenPak, formatRouteHeader, type RouteDecision, type TokenPak } from '@tokenpak/core';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../support/temp-dir';
import { expectedRouteHeader, expectedVia, MATRIX, splitPath, writeAcmePlugin, type MatrixRow } from './precedence-rows';

/**
 * The full precedence matrix of ARCHITECTURE §2.2–§2.4, in process: built-in plugins
 * (openclaw, codex) plus a drop-in third-party plugin with a higher-priority signal,
 * loaded from a temp plugins dir the way a user's plugin would be.
 */
describe.each([true, false])('routing precedence matrix (§2.2–§2.4), companion dispatch %s', (dispatch) => {
  const temp = makeTempDir('tokenpak-matrix-');
  let tokenpak: TokenPak;
  const logs: string[] = [];

  beforeAll(async () => {
    const pluginsDir = writeAcmePlugin(temp.dir);
    const configPath = path.join(temp.dir, 'tokenpak.config.json');
    writeFileSync(configPath, JSON.stringify({ state: { dir: path.join(temp.dir, 'state') }, plugins: { dirs: [pluginsDir] }, companion: { dispatch } }));
    tokenpak = await createTokenPak({ configPath, env: { HOME: temp.dir }, logger: createLogger('debug', { write: (line) => void logs.push(line) }) });
  });
  afterAll(async () => {
    await tokenpak.shutdown();
    temp.cleanup();
  });

  function resolve(row: MatrixRow): RouteDecision {
    const headers = new Headers();
    for (const [name, value] of Object.entries(row.headers)) headers.append(name, value);
    const { path: p, search } = splitPath(row.path ?? '/v1/messages');
    return tokenpak.resolver.resolve({ method: row.method ?? 'POST', path: p, search, headers });
  }

  test('the plugins the matrix relies on are loaded', () => {
    const loaded = tokenpak.plugins.filter((report) => report.state === 'loaded').map((report) => report.name);
    expect(loaded).toEqual(expect.arrayContaining(['openclaw', 'codex', 'acme-agent']));
    expect(tokenpak.bridge.signals()[0]!.name).toBe('acme');
  });

  test('both transports occur in the matrix', () => {
    const vias = new Set(MATRIX.map((row) => expectedVia(row, dispatch)));
    expect([...vias].sort()).toEqual(dispatch ? ['companion', 'http'] : ['http']);
  });

  test('the matrix has at least 60 rows with unique ids and covers every rule outcome', () => {
    expect(MATRIX.length).toBeGreaterThanOrEqual(60);
    expect(new Set(MATRIX.map((row) => row.id)).size).toBe(MATRIX.length);
    const sources = new Set(MATRIX.map((row) => row.expect.providerSource));
    expect([...sources].sort()).toEqual(['backend-header', 'header', 'none', 'signal:acme', 'signal:codex', 'signal:openclaw']);
    expect(new Set(MATRIX.map((row) => row.expect.backend))).toEqual(new Set(['api', 'oauth', 'codex']));
    const classes = new Set(MATRIX.map((row) => row.expect.routeClass));
    for (const routeClass of [
      'claude-code-cli',
      'claude-code-sdk',
      'claude-code-ide',
      'claude-code-tmux',
      'claude-code-cron',
      'anthropic-sdk',
      'openai-sdk',
      'generic',
    ]) {
      expect(classes).toContain(routeClass);
    }
  });

  test.each(MATRIX.map((row) => [`${row.id} ${row.title}`, row] as const))('%s', (_name, row) => {
    const decision = resolve(row);
    expect({
      platform: decision.platform,
      session: decision.sessionId,
      provider: decision.provider,
      providerSource: decision.providerSource,
      routeClass: decision.routeClass,
      backend: decision.backend,
      via: decision.via,
    }).toEqual({ ...row.expect, via: expectedVia(row, dispatch) });
    expect(formatRouteHeader(decision)).toBe(expectedRouteHeader(row.expect, expectedVia(row, dispatch)));
    expect(decision.credentialSource).toBe(expectedVia(row, dispatch) === 'companion' ? 'claude-cli' : 'caller');
    expect(decision.reasons.length).toBeGreaterThan(0);
    if (row.unknownBackend) {
      const value = row.unknownBackend;
      expect(decision.reasons.filter((reason) => reason.includes(value) && /unknown|ignored/i.test(reason))).toHaveLength(1);
    }
    expect(Object.isFrozen(decision)).toBe(true);
  });

  test('every unknown-backend row is checked for its warning', () => {
    const unknown = MATRIX.filter((row) => row.unknownBackend);
    expect(unknown.length).toBeGreaterThanOrEqual(5);
    for (const row of unknown) expect(Object.values(row.headers)).toContain(row.unknownBackend);
  });

  test('reasons never carry a credential', () => {
    for (const row of MATRIX) {
      const text = resolve(row).reasons.join('\n');
      for (const value of Object.values(row.headers)) {
        if (/^(bearer\s+)?(sk-|eyJ|opaque-)/i.test(value)) expect(text).not.toContain(value.replace(/^bearer\s+/i, ''));
      }
    }
  });
});
