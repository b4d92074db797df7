import OpenAI from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli-process';
import { startCliProxy, type CliProxy } from '../support/cli-proxy';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { upstreamsAt } from '../support/proxy-harness';

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `tokenpak reload` (pid file → SIGHUP → outcome read back from the pid file) against the real CLI process. */
describe('tokenpak reload (child processes)', () => {
  let before: MockUpstream;
  let after: MockUpstream;
  let proxy: CliProxy;

  beforeAll(async () => {
    before = await startMockUpstream();
    after = await startMockUpstream();
    proxy = await startCliProxy({ providers: upstreamsAt(before.url), log: { level: 'info' } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await before?.close();
    await after?.close();
  });

  const pidRecord = (): { reloads: number; lastReload: unknown } =>
    JSON.parse(readFileSync(path.join(proxy.dir, 'state', 'tokenpak.pid'), 'utf8')) as { reloads: number; lastReload: unknown };
  const rewrite = (change: (config: Record<string, unknown>) => Record<string, unknown>): void =>
    writeFileSync(proxy.configPath, JSON.stringify(change(JSON.parse(readFileSync(proxy.configPath, 'utf8')) as Record<string, unknown>), null, 2));
  const reload = () => runCli(['reload', '--config', proxy.configPath], { cwd: proxy.dir, env: { HOME: proxy.dir } });
  const chat = async (): Promise<void> => {
    const client = new OpenAI({ apiKey: 'sk-proj-reload-cli-test', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] });
  };

  test('an invalid config is refused with the reason and the old one keeps serving; a valid one applies to the next request', async () => {
    await chat();
    expect(before.requests).toHaveLength(1);

    // `tokenpak reload` checks the file first and leaves the instance alone when it is invalid.
    rewrite((config) => ({ ...config, providers: upstreamsAt(after.url), surprise: true }));
    const refused = reload();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/surprise[\s\S]*nothing was reloaded/);
    // A bare SIGHUP with that file: the instance refuses it, logs why, and records the outcome in its pid file.
    process.kill(proxy.cli.child.pid!, 'SIGHUP');
    await waitUntil(() => /reload failed, still serving generation 1[\s\S]*surprise/.test(proxy.cli.stderr()), 10_000, 'the refusal in the log');
    await waitUntil(() => pidRecord().reloads === 1, 5000, 'the outcome in the pid file');
    expect(pidRecord().lastReload).toMatchObject({ ok: false, generation: 1, error: expect.stringMatching(/surprise/) });
    await chat();
    expect(before.requests).toHaveLength(2);
    expect(after.requests).toHaveLength(0);

    rewrite(({ surprise: _surprise, ...config }) => config);
    const applied = reload();
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/reloaded TokenPak \(pid \d+, http:\/\/127\.0\.0\.1:\d+\): generation 2 serves new requests/);
    await chat();
    expect(after.requests).toHaveLength(1);
    expect(before.requests).toHaveLength(2);
    expect(proxy.cli.child.exitCode).toBeNull();
  });
});
