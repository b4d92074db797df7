import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process';
import { makeTempDir } from '../support/temp-dir';

describe('tokenpak config / help / exit codes', () => {
  const temp = makeTempDir();
  const env = { HOME: temp.dir };
  afterAll(() => temp.cleanup());

  test('prints the resolved config and where it came from, secrets redacted', () => {
    const configPath = path.join(temp.dir, 'tokenpak.config.json');
    writeFileSync(configPath, JSON.stringify({ server: { port: 9123, authToken: 'super-secret-token-value-123' } }));
    const result = runCli(['config'], { cwd: temp.dir, env: { ...env, TOKENPAK_HOST: 'localhost' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`# source: ${configPath}`);
    expect(result.stdout).toContain('# server.host set by TOKENPAK_HOST');
    expect(result.stdout).toContain('"port": 9123');
    expect(result.stdout).toContain('"authToken": "<redacted:28>"');
    expect(result.stdout + result.stderr).not.toContain('super-secret-token-value-123');

    const json = JSON.parse(runCli(['config', '--json', '--config', configPath], { env }).stdout) as { source: string; config: { server: { port: number } } };
    expect(json.source).toBe(configPath);
    expect(json.config.server.port).toBe(9123);
  });

  test('with no config file it says defaults apply', () => {
    const empty = path.join(temp.dir, 'empty');
    mkdirSync(empty);
    const result = runCli(['config'], { cwd: empty, env: { HOME: empty } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# source: built-in defaults (no config file found)');
  });

  test('an invalid config exits 2 naming the file and key path', () => {
    const bad = path.join(temp.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ server: { port: 70000 }, surprise: true }));
    const result = runCli(['config', '--config', bad], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toContain('server.port');
    expect(result.stderr).toContain('surprise: unknown key');
  });

  test('usage errors exit 64 with help', () => {
    expect(runCli(['frobnicate'], { env }).code).toBe(64);
    const badFlag = runCli(['config', '--nope'], { env });
    expect(badFlag.code).toBe(64);
    expect(badFlag.stderr).toContain('tokenpak config');
    const help = runCli(['--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('tokenpak start');
  });

  test('route -H without a colon is a usage error', () => {
    const result = runCli(['route', '-H', 'nonsense'], { env, cwd: temp.dir });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("-H expects 'Name: value'");
  });
});
