import type { RunningProxy } from '../support/proxy-harness';
import { jsonOf, MODEL, NO_SESSION_HEADERS, postMessages, sdk, startCompanionProxy, COLD } from './support/companion-harness';
import { argValue, createFakeClaude, type FakeClaude, type FakeRun } from './support/fake-claude';

/** How the CLI is invoked: argv, stdin, and what the request may and may not put where. */
describe('companion CLI invocation', () => {
  let fake: FakeClaude;
  let continueOn: RunningProxy;
  let continueOff: RunningProxy;
  let continueOffByEnv: RunningProxy;

  const SYSTEM = 'You are the system prompt SYS-MARKER.';
  const HISTORY = [
    { role: 'user' as const, content: 'first user turn U1-MARKER' },
    { role: 'assistant' as const, content: 'first answer A1-MARKER' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'second user turn U2-MARKER' }] },
    { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'second answer A2-MARKER' }] },
    { role: 'user' as const, content: 'third user turn U3-MARKER' },
  ];

  beforeAll(async () => {
    fake = createFakeClaude();
    [continueOn, continueOff, continueOffByEnv] = await Promise.all([
      startCompanionProxy(fake, COLD),
      startCompanionProxy(fake, { ...COLD, continue: false }),
      startCompanionProxy(fake, COLD, { env: { TOKENPAK_OAUTH_NO_CONTINUE: '1' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([continueOn.stop(), continueOff.stop(), continueOffByEnv.stop()]);
    fake.cleanup();
  });
  beforeEach(async () => {
    await fake.clearRuns();
    fake.setControl({});
  });

  const onlyRun = (): FakeRun => {
    const runs = fake.runs();
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };

  test('non-streaming: --print, --output-format json, --model, --continue; the prompt on stdin only', async () => {
    await sdk(continueOn, NO_SESSION_HEADERS).messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'PROMPT-MARKER say hi' }] });
    const run = onlyRun();
    expect(run.argv).toEqual(['--print', '--output-format', 'json', '--model', MODEL, '--continue', '--tools', '']);
    expect(run.stdin).toContain('PROMPT-MARKER say hi');
    expect(run.argv.join(' ')).not.toContain('PROMPT-MARKER');
  });

  test('streaming: --output-format stream-json --verbose --include-partial-messages', async () => {
    await sdk(continueOn, NO_SESSION_HEADERS)
      .messages.stream({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    const run = onlyRun();
    expect(run.argv).toEqual([
      '--print',
      '--output-format',
      'stream-json',
      '--verbose',
      '--include-partial-messages',
      '--model',
      MODEL,
      '--continue',
      '--tools',
      '',
    ]);
  });

  test('no model in the request: no --model', async () => {
    const response = await postMessages(continueOn, { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(200);
    expect(onlyRun().argv).not.toContain('--model');
  });

  test('companion.continue: false and TOKENPAK_OAUTH_NO_CONTINUE=1: no --continue', async () => {
    await sdk(continueOff, NO_SESSION_HEADERS).messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(onlyRun().argv).not.toContain('--continue');
    await fake.clearRuns();
    await sdk(continueOffByEnv, NO_SESSION_HEADERS).messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(onlyRun().argv).not.toContain('--continue');
  });

  test('continue off: the system prompt and the whole 3-turn history reach stdin, in order', async () => {
    await sdk(continueOff, NO_SESSION_HEADERS).messages.create({ model: MODEL, max_tokens: 16, system: SYSTEM, messages: HISTORY });
    const { stdin, argv } = onlyRun();
    const markers = ['SYS-MARKER', 'U1-MARKER', 'A1-MARKER', 'U2-MARKER', 'A2-MARKER', 'U3-MARKER'];
    const positions = markers.map((marker) => stdin!.indexOf(marker));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The newest turn is the message itself, after the history.
    expect(stdin!.trimEnd().endsWith('third user turn U3-MARKER')).toBe(true);
    expect(argv.join(' ')).not.toMatch(/MARKER/);
  });

  test('continue on: only the turns after the last assistant reply reach stdin', async () => {
    await sdk(continueOn, NO_SESSION_HEADERS).messages.create({ model: MODEL, max_tokens: 16, system: SYSTEM, messages: HISTORY });
    const { stdin } = onlyRun();
    expect(stdin).toBe('third user turn U3-MARKER');
  });

  test('continue on, a conversation with no reply yet: its system prompt and turns are all new to the CLI', async () => {
    await sdk(continueOn, NO_SESSION_HEADERS).messages.create({
      model: MODEL,
      max_tokens: 16,
      system: SYSTEM,
      messages: [
        { role: 'user', content: 'one U1-MARKER' },
        { role: 'user', content: 'two U2-MARKER' },
      ],
    });
    const { stdin } = onlyRun();
    for (const marker of ['SYS-MARKER', 'U1-MARKER', 'U2-MARKER']) expect(stdin).toContain(marker);
  });

  test('tool_use / tool_result turns are rendered into the prompt, not dropped', async () => {
    await sdk(continueOff, NO_SESSION_HEADERS).messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: [
        { role: 'user', content: 'list files' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'exec', input: { command: 'ls TOOL-INPUT-MARKER' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'README.md TOOL-RESULT-MARKER' }] },
      ],
    });
    const { stdin } = onlyRun();
    expect(stdin).toContain('<tool_use id="toolu_01" name="exec">');
    expect(stdin).toContain('TOOL-INPUT-MARKER');
    expect(stdin).toContain('<tool_result tool_use_id="toolu_01">');
    expect(stdin).toContain('TOOL-RESULT-MARKER');
  });

  test('an image is passed to the CLI as a content block (stream-json input), and the answer is still Messages JSON', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const message = await sdk(continueOff, NO_SESSION_HEADERS).messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is in IMAGE-MARKER' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png }, cache_control: { type: 'ephemeral' } },
          ],
        },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from mock' }]);
    const run = onlyRun();
    expect(argValue(run.argv, '--input-format')).toBe('stream-json');
    expect(argValue(run.argv, '--output-format')).toBe('stream-json');
    expect(run.argv).toContain('--verbose');
    const lines = run.stdin!.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { type: string; message: { role: string; content: Array<Record<string, unknown>> } };
    expect(line).toMatchObject({ type: 'user', message: { role: 'user' } });
    expect(line.message.content).toEqual([
      { type: 'text', text: 'what is in IMAGE-MARKER\n\n' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
    ]);
  });

  test.each([
    ['not JSON', '{"model": ', /not valid JSON/],
    ['no messages', { model: MODEL, max_tokens: 16 }, /messages must be a non-empty array/],
    ['empty messages', { model: MODEL, max_tokens: 16, messages: [] }, /messages must be a non-empty array/],
    [
      'a trailing assistant turn (prefill)',
      {
        model: MODEL,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      },
      /prefilled assistant turn/,
    ],
    [
      'an unsupported block',
      { model: MODEL, messages: [{ role: 'user', content: [{ type: 'search_result', source: 'x', title: 't', content: [] }] }] },
      /"search_result" cannot be passed/,
    ],
    [
      'a model name that looks like an option',
      { model: '--dangerously-skip-permissions', messages: [{ role: 'user', content: 'a' }] },
      /model must be a model name/,
    ],
  ])('%s → 400 invalid_request_error, no CLI run', async (_name, body, message) => {
    const response = await postMessages(continueOn, body);
    expect(response.status).toBe(400);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    const error = jsonOf<{ type: string; error: { type: string; message: string } }>(response);
    expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(error.error.message).toMatch(message);
    expect(fake.runs()).toHaveLength(0);
  });
});
