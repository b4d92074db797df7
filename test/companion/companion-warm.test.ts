import type Anthropic from '@anthropic-ai/sdk';
import type { RunningProxy } from '../support/proxy-harness';
import { argValue, createFakeClaude, type FakeClaude, type FakeRun } from './support/fake-claude';
import { MODEL, NO_SESSION_HEADERS, sdk, sessionHeaders, startCompanionProxy } from './support/companion-harness';
import { isProcessAlive, waitFor } from './support/process-table';

/**
 * Warm sessions (ARCHITECTURE §2.6.1): one long-lived CLI in streaming-input mode per
 * conversation, each turn one stdin line, the answer ending at the `result` record.
 */
type Turn = Anthropic.MessageParam;

/** The user text of a stream-json input line. */
function lineText(line: string): string {
  const parsed = JSON.parse(line) as { type: string; message: { role: string; content: Array<{ type: string; text?: string }> } };
  expect(parsed.type).toBe('user');
  expect(parsed.message.role).toBe('user');
  return parsed.message.content.map((block) => block.text ?? '').join('');
}

describe('warm companion sessions', () => {
  let fake: FakeClaude;
  let proxy: RunningProxy;

  beforeAll(async () => {
    fake = createFakeClaude();
    proxy = await startCompanionProxy(fake, { continue: false });
  });
  afterAll(async () => {
    await proxy.stop();
    fake.cleanup();
  });
  beforeEach(async () => {
    fake.setControl({});
    await fake.clearRuns();
  });

  /** Sends `turns`, then returns the conversation extended by the answer. */
  async function turn(client: Anthropic, history: Turn[], text: string, stream = false): Promise<Turn[]> {
    const messages: Turn[] = [...history, { role: 'user', content: text }];
    const message = stream
      ? await client.messages.stream({ model: MODEL, max_tokens: 64, messages }).finalMessage()
      : await client.messages.create({ model: MODEL, max_tokens: 64, messages });
    const answer = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    return [...messages, { role: 'assistant', content: answer }];
  }

  const warmRuns = (): FakeRun[] => fake.runs().filter((run) => run.argv.includes('--input-format'));

  test('three turns of one conversation: one CLI process in streaming-input mode; stdin gets exactly the new turn each time', async () => {
    fake.setControl({ text: 'Answer.' });
    const client = sdk(proxy, sessionHeaders('warm-three'));
    let history = await turn(client, [], 'FIRST question');
    history = await turn(client, history, 'SECOND question', true);
    history = await turn(client, history, 'THIRD question');
    expect(history).toHaveLength(6);

    const runs = warmRuns();
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run!.argv.slice(0, 7)).toEqual([
      '--print',
      '--input-format',
      'stream-json',
      '--output-format',
      'stream-json',
      '--verbose',
      '--include-partial-messages',
    ]);
    expect(argValue(run!.argv, '--model')).toBe(MODEL);
    expect(argValue(run!.argv, '--tools')).toBe('');
    expect(isProcessAlive(run!.pid)).toBe(true);
    expect(run!.lines.map((line) => lineText(line.line))).toEqual(['FIRST question', 'SECOND question', 'THIRD question']);
  });

  test('an edited history ends the warm process and starts a new one with the whole conversation', async () => {
    fake.setControl({ text: 'Answer.' });
    const client = sdk(proxy, sessionHeaders('warm-edit'));
    const history = await turn(client, [], 'ORIGINAL question');
    const edited: Turn[] = [{ role: 'user', content: 'EDITED question' }, history[1]!];
    await turn(client, edited, 'FOLLOW-UP');

    const runs = warmRuns();
    expect(runs).toHaveLength(2);
    await waitFor(() => !isProcessAlive(runs[0]!.pid), 5000, 'the first warm process to end');
    const second = runs[1]!;
    expect(argValue(second.argv, '--resume')).toBeUndefined();
    expect(second.lines).toHaveLength(1);
    const text = lineText(second.lines[0]!.line);
    expect(text).toContain('EDITED question');
    expect(text).toContain('FOLLOW-UP');
    expect(text).not.toContain('ORIGINAL question');
  });

  test('another model ends the warm process; the new one resumes the CLI session with only the new turn', async () => {
    fake.setControl({ text: 'Answer.' });
    const client = sdk(proxy, sessionHeaders('warm-model'));
    const history = await turn(client, [], 'MODEL-ONE question');
    await client.messages.create({ model: 'claude-haiku-5-5', max_tokens: 64, messages: [...history, { role: 'user', content: 'MODEL-TWO question' }] });
    const runs = warmRuns();
    expect(runs).toHaveLength(2);
    expect(argValue(runs[1]!.argv, '--model')).toBe('claude-haiku-5-5');
    expect(argValue(runs[1]!.argv, '--resume')).toBe(runs[0]!.sessionId);
    expect(runs[1]!.lines.map((line) => lineText(line.line))).toEqual(['MODEL-TWO question']);
  });

  test('a changed system prompt ends the warm process; the new one resumes with the new turn and the new system prompt', async () => {
    fake.setControl({ text: 'Answer.' });
    const client = sdk(proxy, sessionHeaders('warm-system'));
    const first = await client.messages.create({ model: MODEL, max_tokens: 64, system: 'SYSTEM-ONE', messages: [{ role: 'user', content: 'q1' }] });
    await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      system: 'SYSTEM-TWO',
      messages: [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'q2' },
      ],
    });
    const runs = warmRuns();
    expect(runs).toHaveLength(2);
    expect(argValue(runs[1]!.argv, '--resume')).toBe(runs[0]!.sessionId);
    const text = lineText(runs[1]!.lines[0]!.line);
    expect(text).toContain('<system_prompt_update>\nSYSTEM-TWO');
    expect(text).toContain('q2');
    expect(text).not.toContain('q1');
  });

  test('no platform session under companion.continue: the one "latest" conversation stays warm too', async () => {
    const continuing = await startCompanionProxy(fake, { continue: true });
    try {
      fake.setControl({ text: 'Answer.' });
      const client = sdk(continuing, NO_SESSION_HEADERS);
      const history = await turn(client, [], 'LATEST one');
      await turn(client, history, 'LATEST two');
      const runs = warmRuns();
      expect(runs).toHaveLength(1);
      expect(runs[0]!.argv).toContain('--continue');
      expect(runs[0]!.lines.map((line) => lineText(line.line))).toEqual(['LATEST one', 'LATEST two']);
    } finally {
      await continuing.stop();
    }
  });
});
