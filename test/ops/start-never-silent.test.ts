import { spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI_BIN, REPO_ROOT } from '../support/cli-process';
import { within } from '../support/stream-helpers';
import { makeTempDir } from '../support/temp-dir';

const SECRET = `sk-ant-api03-${'Q'.repeat(48)}`;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `tokenpak start` with a plugins folder holding one plugin whose `index.js` is `source`. */
function startWithPlugin(temp: string, source: string): { ended: Promise<Ended>; stdout(): string; kill(): void } {
  const pluginDir = path.join(temp, 'plugins', 'trouble');
  mkdirSync(pluginDir, { recursive: true });
  writeFileSync(path.join(pluginDir, 'index.js'), source);
  const configPath = path.join(temp, 'tokenpak.config.json');
  writeFileSync(configPath, JSON.stringify({ server: { port: 0 }, state: { dir: path.join(temp, 'state') }, plugins: { dirs: [path.join(temp, 'plugins')] } }));
  const child = spawn(process.execPath, [CLI_BIN, 'start', '--config', configPath], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOME: temp, TOKENPAK_PORT: '0' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<Ended>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { ended, stdout: () => stdout, kill: () => child.kill('SIGKILL') };
}

/** ARCHITECTURE §7: `start` never exits silently; every exit it was not asked for says why and is non-zero. */
describe('tokenpak start never exits silently (child process)', () => {
  const temps: Array<{ dir: string; cleanup(): void }> = [];
  const kills: Array<() => void> = [];
  afterAll(() => {
    kills.forEach((kill) => kill());
    temps.forEach((temp) => temp.cleanup());
  });
  const tempDir = (): string => {
    const temp = makeTempDir('tokenpak-silent-');
    temps.push(temp);
    return temp.dir;
  };

  test('a plugin whose setup() never settles: the process either exits non-zero saying why, or comes up and reports the plugin failed', async () => {
    const dir = tempDir();
    // A promise that never settles and holds nothing open: the event loop empties while start awaits it.
    const run = startWithPlugin(dir, `module.exports = { name: 'trouble', apiVersion: 1, setup: () => new Promise(() => {}) };\n`);
    kills.push(run.kill);
    let settled = false;
    let hangTimer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      run.ended.then((ended) => ({ kind: 'exited' as const, ended })),
      (async () => {
        while (!settled && !/listening on/.test(run.stdout())) await new Promise((resolve) => setTimeout(resolve, 50));
        return { kind: 'listening' as const };
      })(),
      new Promise<{ kind: 'hung' }>((resolve) => (hangTimer = setTimeout(() => resolve({ kind: 'hung' }), 40_000))),
    ]).finally(() => {
      settled = true;
      clearTimeout(hangTimer);
    });
    if (outcome.kind === 'exited') {
      expect(outcome.ended.code).not.toBe(0);
      expect(outcome.ended.code).not.toBeNull();
      expect(outcome.ended.stderr).toMatch(/tokenpak: stopped unexpectedly while starting.*never settled/);
      expect(existsSync(path.join(dir, 'state', 'tokenpak.pid'))).toBe(false);
    } else {
      // With a bounded plugin setup (§7, 10 s) start goes on and says which plugin failed.
      expect(outcome.kind).toBe('listening');
      expect(run.stdout()).toMatch(/trouble \(failed/);
    }
  }, 60_000);

  test('an unhandled rejection after start: exit 1 with the reason, the secret in it redacted, the pid file removed', async () => {
    const dir = tempDir();
    const run = startWithPlugin(
      dir,
      `module.exports = { name: 'trouble', apiVersion: 1, setup() { setTimeout(() => { Promise.reject(new Error('upstream said no to ${SECRET}')); }, 300); } };\n`,
    );
    kills.push(run.kill);
    const ended = await within(run.ended, 30_000, 'the process to exit');
    expect(ended.stdout).toContain('listening on');
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/tokenpak: fatal: unhandled promise rejection: .*upstream said no to/);
    expect(ended.stderr + ended.stdout).not.toContain(SECRET);
    expect(existsSync(path.join(dir, 'state', 'tokenpak.pid'))).toBe(false);
  });

  test('an uncaught exception after start: exit 1 with the reason (redacted)', async () => {
    const dir = tempDir();
    const run = startWithPlugin(
      dir,
      `module.exports = { name: 'trouble', apiVersion: 1, setup() { setTimeout(() => { throw new Error('bad key ${SECRET}'); }, 300); } };\n`,
    );
    kills.push(run.kill);
    const ended = await within(run.ended, 30_000, 'the process to exit');
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/tokenpak: fatal: uncaught exception: .*bad key/);
    expect(ended.stderr).not.toContain(SECRET);
  });
  test('a port another program holds: exit 1 saying so, promptly (the ledger thread it had started is released)', async () => {
    const dir = tempDir();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const configPath = path.join(dir, 'tokenpak.config.json');
      writeFileSync(configPath, JSON.stringify({ server: { port }, state: { dir: path.join(dir, 'state') } }));
      const child = spawn(process.execPath, [CLI_BIN, 'start', '--config', configPath], { cwd: REPO_ROOT, env: { ...process.env, HOME: dir } });
      kills.push(() => child.kill('SIGKILL'));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await within(
        new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode))),
        20_000,
        'tokenpak start on a busy port to exit',
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(/already in use/);
      expect(existsSync(path.join(dir, 'state', 'tokenpak.pid'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
