import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CLI_BIN, runCliAsync, startCli } from '../support/cli-process';
import { makeTempDir } from '../support/temp-dir';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const healthy = (url: string) =>
  fetch(`${url}/tokenpak/health`).then(
    (response) => response.ok,
    () => false,
  );

/** A fake client on PATH (named like the real one) that prints what it was given and exits 7. */
const PRINT_ENV = `#!/bin/sh
echo "ANTHROPIC_BASE_URL=$ANTHROPIC_BASE_URL"
echo "OPENAI_BASE_URL=$OPENAI_BASE_URL"
for arg in "$@"; do echo "ARG=$arg"; done
exit 7
`;

/** A fake client that waits for a signal and reports which one it got. */
const WAIT_FOR_SIGNAL = `#!/bin/sh
trap 'echo got-INT; exit 41' INT
trap 'echo got-TERM; exit 42' TERM
echo ready
while true; do sleep 0.05; done
`;

describe('tokenpak run', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let url: string;
  const backgroundPids: number[] = [];

  const fakeClient = (name: string, script: string) => {
    const file = path.join(temp.dir, 'bin', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, script);
    chmodSync(file, 0o755);
  };

  beforeEach(async () => {
    temp = makeTempDir('tokenpak-run-');
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    mkdirSync(path.join(temp.dir, 'home'));
    env = {
      HOME: path.join(temp.dir, 'home'),
      TOKENPAK_HOME: path.join(temp.dir, 'state'),
      TOKENPAK_PORT: String(port),
      TOKENPAK_LEDGER: '0',
      TOKENPAK_CLAUDE_BIN: '',
      PATH: `${path.join(temp.dir, 'bin')}:${process.env.PATH}`,
    };
  });

  afterEach(async () => {
    for (const pid of backgroundPids.splice(0)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await waitFor(
        () =>
          !(() => {
            try {
              process.kill(pid, 0);
              return true;
            } catch {
              return false;
            }
          })(),
        `pid ${pid} to exit`,
      );
    }
    temp.cleanup();
  });

  test('no TokenPak running: starts one in the background, runs codex with -c overrides and the env, exits with its code, changes no file', async () => {
    fakeClient('codex', PRINT_ENV);
    const result = await runCliAsync(['run', 'codex', '--', 'exec', '--json', 'say hi'], { cwd: temp.dir, env });
    const started = /started TokenPak in the background at (\S+) \(pid (\d+)/.exec(result.stderr);
    expect(started).not.toBeNull();
    backgroundPids.push(Number(started![2]));
    expect(started![1]).toBe(url);
    expect(result.stderr).toContain('tokenpak stop');
    expect(result.code).toBe(7);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      `ANTHROPIC_BASE_URL=${url}`,
      `OPENAI_BASE_URL=${url}/v1`,
      'ARG=-c',
      'ARG=model_provider="tokenpak"',
      'ARG=-c',
      'ARG=model_providers.tokenpak.name="TokenPak"',
      'ARG=-c',
      'ARG=model_providers.tokenpak.wire_api="responses"',
      'ARG=-c',
      `ARG=model_providers.tokenpak.base_url="${url}/v1"`,
      'ARG=-c',
      'ARG=model_providers.tokenpak.env_key="OPENAI_API_KEY"',
      'ARG=exec',
      'ARG=--json',
      'ARG=say hi',
    ]);
    // The background TokenPak outlives the client, and no client config was written.
    expect(await healthy(url)).toBe(true);
    expect(readdirSync(env.HOME!)).toEqual([]);
  });

  test('a TokenPak already running is used, not a second one; claude gets ANTHROPIC_BASE_URL; -- --help goes to the client', async () => {
    const server = await startCli([], { cwd: temp.dir, env });
    try {
      fakeClient('claude', PRINT_ENV);
      const result = await runCliAsync(['run', 'claude', '--', '--help'], { cwd: temp.dir, env: { ...env, TOKENPAK_CLAUDE_BIN: '' } });
      expect(result.stderr).toContain(`using the TokenPak at ${url}`);
      expect(result.stderr).not.toContain('started TokenPak');
      expect(result.code).toBe(7);
      expect(result.stdout).toBe(`ANTHROPIC_BASE_URL=${url}\nOPENAI_BASE_URL=${url}/v1\nARG=--help\n`);
    } finally {
      await server.stop();
    }
  });

  test('signals: Ctrl-C (SIGINT to the process group) reaches the client once; SIGTERM to tokenpak run is passed on', async () => {
    const server = await startCli([], { cwd: temp.dir, env });
    try {
      fakeClient('openclaw', WAIT_FOR_SIGNAL);
      for (const [signal, toGroup, expected] of [
        ['SIGINT', true, { out: 'got-INT', code: 41 }],
        ['SIGTERM', false, { out: 'got-TERM', code: 42 }],
      ] as const) {
        // Its own process group, as a shell gives a foreground job.
        const child = spawn(process.execPath, [CLI_BIN, 'run', 'openclaw'], { cwd: temp.dir, env: { ...process.env, ...env }, detached: true });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        await waitFor(() => stdout.includes('ready'), 'the fake client to start');
        process.kill(toGroup ? -child.pid! : child.pid!, signal);
        expect(await exited).toBe(expected.code);
        expect(stdout.trim().split('\n')).toEqual(['ready', expected.out]);
      }
    } finally {
      await server.stop();
    }
  });

  test('a client that is not installed: exit 127 with a clear message', async () => {
    const server = await startCli([], { cwd: temp.dir, env });
    try {
      const result = await runCliAsync(['run', 'codex'], { cwd: temp.dir, env: { ...env, PATH: path.dirname(process.execPath) } });
      expect(result.code).toBe(127);
      expect(result.stderr).toContain('"codex" was not found on PATH');
    } finally {
      await server.stop();
    }
  });
});
