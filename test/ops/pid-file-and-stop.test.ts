import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, startCli, type CliServer } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { makeTempDir } from '../support/temp-dir';

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A pid that belonged to a process that has exited (so the pid file naming it is stale). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

/** ARCHITECTURE §7: `<state.dir>/tokenpak.pid`, one instance per state dir, `tokenpak stop`. */
describe('pid file and tokenpak stop (child processes)', () => {
  const temp = makeTempDir('tokenpak-pid-');
  const stateDir = path.join(temp.dir, 'state');
  const pidFile = path.join(stateDir, 'tokenpak.pid');
  const configPath = path.join(temp.dir, 'tokenpak.config.json');
  const env = { HOME: temp.dir };
  const running: CliServer[] = [];

  beforeAll(() => {
    writeFileSync(configPath, JSON.stringify({ server: { port: 0, shutdownTimeoutMs: 3000 }, state: { dir: stateDir }, log: { level: 'info' } }));
  });
  afterAll(async () => {
    for (const cli of running) await cli.stop('SIGKILL');
    temp.cleanup();
  });

  async function start(): Promise<CliServer> {
    const cli = await startCli(['--config', configPath], { cwd: temp.dir, env });
    running.push(cli);
    return cli;
  }

  test('start writes the pid file, a second start is refused naming the first, stop ends it and the file goes', async () => {
    const first = await start();
    const record = JSON.parse(readFileSync(pidFile, 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ pid: first.child.pid, url: first.url, port: Number(new URL(first.url).port), config: configPath });
    expect(typeof record.startedAt).toBe('string');

    const second = runCli(['start', '--config', configPath], { cwd: temp.dir, env: { ...env, TOKENPAK_PORT: '0' } });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`pid ${first.child.pid}`);
    expect(second.stderr).toContain(first.url);
    expect(second.stdout).not.toContain('listening on');
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    // The refused start left the first one's file alone, and the first one still serves.
    expect(JSON.parse(readFileSync(pidFile, 'utf8'))).toMatchObject({ pid: first.child.pid });
    expect((await rawRequest(`${first.url}/tokenpak/health`)).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    const stop = runCli(['stop', '--config', configPath], { cwd: temp.dir, env });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`stopped \\(pid ${first.child.pid}\\)`));
    expect(first.child.exitCode ?? (await exited)).toBe(0);
    expect(existsSync(pidFile)).toBe(false);

    const again = runCli(['stop', '--config', configPath], { cwd: temp.dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no TokenPak is running/);
  });

  test('a stale pid file (its process gone) is replaced, and removed on SIGTERM', async () => {
    mkdirSync(stateDir, { recursive: true });
    const stale = await deadPid();
    writeFileSync(pidFile, JSON.stringify({ pid: stale, url: 'http://127.0.0.1:1', startedAt: new Date(0).toISOString() }));
    const cli = await start();
    expect(JSON.parse(readFileSync(pidFile, 'utf8'))).toMatchObject({ pid: cli.child.pid, url: cli.url });
    expect(cli.stderr()).toContain(`stale pid file (pid ${stale}`);
    const code = await cli.stop('SIGTERM');
    expect({ code, stderr: cli.stderr() }).toEqual({ code: 0, stderr: expect.stringContaining('SIGTERM: finishing') });
    expect(existsSync(pidFile)).toBe(false);
  });

  test('tokenpak stop with a stale pid file reports nothing running and removes the file', async () => {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(pidFile, JSON.stringify({ pid: await deadPid(), url: null, startedAt: new Date(0).toISOString(), shutdownTimeoutMs: 1000 }));
    const result = runCli(['stop', '--config', configPath], { cwd: temp.dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is gone; removed its stale pid file/);
    await waitUntil(() => !existsSync(pidFile), 2000, 'the stale file to be removed');
  });
});
