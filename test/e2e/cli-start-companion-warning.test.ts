import { startCliProxy } from '../support/cli-proxy';

async function stdoutOnceServing(command: string): Promise<string> {
  const proxy = await startCliProxy({ companion: { command } });
  try {
    const deadline = Date.now() + 10_000;
    while (!proxy.cli.stdout().includes('OPENAI_BASE_URL') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // The warning is written right after the banner.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return proxy.cli.stdout();
  } finally {
    await proxy.stop();
  }
}

describe('tokenpak start warns once when the claude CLI is missing', () => {
  test('a companion.command that does not exist → one warning line naming it and the fallback', async () => {
    const stdout = await stdoutOnceServing('/nonexistent/tokenpak-test/claude');
    const warnings = stdout.split('\n').filter((line) => line.includes('was not found'));
    expect(warnings).toEqual([expect.stringContaining('warning: the claude CLI ("/nonexistent/tokenpak-test/claude") was not found')]);
    expect(warnings[0]).toContain("caller's own credentials");
  }, 30_000);

  test('an executable companion.command → no warning', async () => {
    const stdout = await stdoutOnceServing(process.execPath);
    expect(stdout).not.toContain('was not found');
  }, 30_000);
});
