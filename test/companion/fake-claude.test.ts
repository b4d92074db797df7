import { spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CAPTURES_DIR } from '../support/captures';
import { createFakeClaude, type FakeClaude } from './support/fake-claude';

/**
 * The fake CLI is only worth its tests if it behaves like the real one: for each
 * captured invocation, same argv → same record sequence, same fields, same exit code.
 */
const CAPTURES = path.join(CAPTURES_DIR, 'claude-code');

/** argv of a `.cmd` capture (`claude -p say\ hi --output-format json`), minus the program. */
function captureArgv(name: string): string[] {
  const text = readFileSync(path.join(CAPTURES, `${name}.cmd`), 'utf8').trim();
  const args = text.match(/(?:\\ |[^ ])+/g)!.map((arg) => arg.replace(/\\ /g, ' '));
  return args.slice(1);
}

function captureFile(name: string, ext: string): string {
  return readFileSync(path.join(CAPTURES, `${name}.${ext}`), 'utf8');
}

/** `type[/subtype][:event]` per NDJSON line: the shape of a stream-json transcript. */
function sequence(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const record = JSON.parse(line) as { type: string; subtype?: string; event?: { type: string } };
      return `${record.type}${record.subtype ? `/${record.subtype}` : ''}${record.event ? `:${record.event.type}` : ''}`;
    });
}

function keysOf(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

describe('the fake claude reproduces the captured CLI', () => {
  let fake: FakeClaude;
  beforeAll(() => {
    fake = createFakeClaude();
  });
  afterAll(() => fake.cleanup());
  beforeEach(() => fake.setControl({}));

  const run = (args: string[], input = '') => spawnSync(fake.command, args, { input, encoding: 'utf8', cwd: fake.dir });

  test.each(['01-print-json', '09-model-full', '11-system-prompt'])('%s: one result record with the captured fields, exit 0', (name) => {
    const result = run(captureArgv(name));
    const captured = JSON.parse(captureFile(name, 'stdout')) as Record<string, unknown>;
    const produced = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(result.status).toBe(Number(captureFile(name, 'rc')));
    expect(keysOf(produced)).toEqual(keysOf(captured));
    expect(keysOf(produced.usage)).toEqual(keysOf(captured.usage));
    expect(produced.result).toBe(captured.result);
    expect(keysOf(produced.modelUsage)).toEqual(keysOf(captured.modelUsage));
  });

  test.each(['02-print-stream-json', '03-print-stream-json-partial'])('%s: the captured record sequence', (name) => {
    const result = run(captureArgv(name));
    expect(result.status).toBe(0);
    expect(sequence(result.stdout)).toEqual(sequence(captureFile(name, 'stdout')));
  });

  test.each(['04-input-stream-json', '05-input-stream-json-2turns-partial'])('%s: each stdin line is its own model call', (name) => {
    const result = run(captureArgv(name), captureFile(name, 'stdin.txt'));
    expect(result.status).toBe(0);
    expect(sequence(result.stdout)).toEqual(sequence(captureFile(name, 'stdout')));
  });

  test('06-print-text: plain text', () => {
    const result = run(captureArgv('06-print-text'));
    expect(result.stdout).toBe(captureFile('06-print-text', 'stdout'));
  });

  test('07/08: --continue keeps the latest session, --resume <id> that one', () => {
    const first = JSON.parse(run(['-p', '--output-format', 'json'], 'one').stdout) as { session_id: string };
    const continued = JSON.parse(run(captureArgv('07-continue')).stdout) as { session_id: string };
    expect(continued.session_id).toBe(first.session_id);
    const resumed = run(['-p', 'x', '--resume', first.session_id, '--output-format', 'json']);
    expect((JSON.parse(resumed.stdout) as { session_id: string }).session_id).toBe(first.session_id);
    const missing = run(captureArgv('08-resume'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('No conversation found with session ID: 8574fc30-1981-44d4-bea8-b9027a48fcb5');
  });

  test('18-no-auth: the not-logged-in result, exit 1', () => {
    fake.setControl({ notLoggedIn: true });
    const result = run(captureArgv('18-no-auth'));
    expect(result.status).toBe(Number(captureFile('18-no-auth', 'rc')));
    const produced = JSON.parse(result.stdout) as Record<string, unknown>;
    const captured = JSON.parse(captureFile('18-no-auth', 'stdout')) as Record<string, unknown>;
    expect(keysOf(produced)).toEqual(keysOf(captured));
    expect(produced).toMatchObject({ is_error: true, result: captured.result });
  });

  test('21-upstream-400: an is_error result with the status, exit 1', () => {
    fake.setControl({ apiError: { status: 400, message: 'mock: injected 400' } });
    const result = run(captureArgv('21-upstream-400-json'));
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: true, api_error_status: 400, result: 'API Error: 400 mock: injected 400' });
  });

  test('real-CLI argument rules', () => {
    expect(run(['-p', 'x', '--output-format', 'stream-json']).stderr).toContain('requires --verbose');
    expect(run(['-p', '--input-format', 'stream-json', '--output-format', 'json']).stderr).toContain('requires output-format=stream-json');
    expect(run(['-p', 'x', '--no-such-flag']).status).toBe(1);
    expect(run(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)/);
  });

  test('stdin redirected from a regular file: prints nothing, exits 0 (the real CLI does)', () => {
    const file = path.join(fake.dir, 'prompt.txt');
    writeFileSync(file, 'say hi');
    const fd = openSync(file, 'r');
    try {
      const result = spawnSync(fake.command, ['-p', '--output-format', 'json'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('');
    } finally {
      closeSync(fd);
    }
  });

  test('records argv, stdin, env and times', async () => {
    await fake.clearRuns();
    run(['-p', '--output-format', 'json', '--model', 'claude-sonnet-4-5'], 'the prompt');
    const [recorded] = fake.runs();
    expect(recorded).toMatchObject({ argv: ['-p', '--output-format', 'json', '--model', 'claude-sonnet-4-5'], stdin: 'the prompt', exitCode: 0 });
    expect(recorded!.end).toBeGreaterThanOrEqual(recorded!.start);
    expect(recorded!.env.PATH).toBeDefined();
  });
});
