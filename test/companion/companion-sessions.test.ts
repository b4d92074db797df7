import type Anthropic from '@anthropic-ai/sdk';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';
import { MODEL, NO_SESSION_HEADERS, sdk, sessionHeaders, startCompanionProxy, COLD } from './support/companion-harness';
import { argValue, createFakeClaude, type FakeClaude, type FakeRun } from './support/fake-claude';
import { waitFor } from './support/process-table';

type Turn = Anthropic.MessageParam;

const STORE_FILE = 'companion-sessions.json';

interface StoreData {
  version: number;
  sessions: Record<string, { cliSessionId: string }>;
}

/** The session map is written right after the answer goes out: wait for it to hold `predicate`. */
async function storeWhen(file: string, predicate: (data: StoreData) => boolean): Promise<{ text: string; data: StoreData }> {
  let last = '';
  await waitFor(
    () => {
      if (!existsSync(file)) return false;
      last = readFileSync(file, 'utf8');
      return predicate(JSON.parse(last) as StoreData);
    },
    5000,
    `${file} to be written`,
  );
  return { text: last, data: JSON.parse(last) as StoreData };
}

/**
 * Platform sessions map to CLI sessions: the CLI is never sent what its session holds,
 * never misses what it does not, and the map survives restarts and corruption.
 */
describe('companion sessions', () => {
  let fake: FakeClaude;
  let state: ReturnType<typeof makeTempDir>;
  let proxy: RunningProxy;

  const start = () => startCompanionProxy(fake, COLD, { stateDir: state.dir });
  const lastRun = (): FakeRun => {
    const runs = fake.runs();
    return runs[runs.length - 1]!;
  };
  /** Sends a turn the way an agent does; returns the conversation including the answer. */
  async function turn(session: string, history: Turn[], system?: string, stream = false): Promise<Turn[]> {
    const client = sdk(proxy, sessionHeaders(session));
    const request = { model: MODEL, max_tokens: 64, messages: history, ...(system ? { system } : {}) };
    const answer = stream ? await client.messages.stream(request).finalMessage() : await client.messages.create(request);
    return [...history, { role: 'assistant', content: answer.content }];
  }

  beforeAll(async () => {
    fake = createFakeClaude();
    state = makeTempDir('tokenpak-companion-state-');
    proxy = await start();
  });
  afterAll(async () => {
    await proxy.stop();
    fake.cleanup();
    state.cleanup();
  });
  beforeEach(async () => {
    await fake.clearRuns();
    fake.setControl({});
  });

  test('turn 1 fresh with everything; turn 2 resumes with only the new turn; after a restart turn 3 still resumes', async () => {
    fake.setControl({ text: 'Answer one.' });
    let conversation = await turn('s-main', [{ role: 'user', content: 'Turn one T1-MARKER' }], 'System S-MARKER');
    const first = lastRun();
    expect(first.argv).not.toContain('--resume');
    expect(first.argv).not.toContain('--continue');
    expect(first.stdin).toContain('S-MARKER');
    expect(first.stdin).toContain('T1-MARKER');
    const cliSession = first.sessionId!;

    fake.setControl({ text: 'Answer two.' });
    conversation = await turn('s-main', [...conversation, { role: 'user', content: 'Turn two T2-MARKER' }], 'System S-MARKER');
    const second = lastRun();
    expect(argValue(second.argv, '--resume')).toBe(cliSession);
    expect(second.argv).not.toContain('--continue');
    expect(second.stdin).toBe('Turn two T2-MARKER');

    await proxy.stop();
    proxy = await start();

    fake.setControl({ text: 'Answer three.' });
    await turn('s-main', [...conversation, { role: 'user', content: 'Turn three T3-MARKER' }], 'System S-MARKER');
    const third = lastRun();
    expect(argValue(third.argv, '--resume')).toBe(cliSession);
    expect(third.stdin).toBe('Turn three T3-MARKER');
  });

  test('a rewritten history (edited or compacted) starts a fresh CLI session with the whole conversation', async () => {
    let conversation = await turn('s-rewrite', [{ role: 'user', content: 'original first turn' }]);
    conversation = await turn('s-rewrite', [...conversation, { role: 'user', content: 'second turn' }]);
    const firstSession = lastRun().sessionId;
    await fake.clearRuns();
    const rewritten: Turn[] = [{ role: 'user', content: 'EDITED first turn' }, ...conversation.slice(1), { role: 'user', content: 'third turn NEW-MARKER' }];
    await turn('s-rewrite', rewritten);
    const run = lastRun();
    expect(run.argv).not.toContain('--resume');
    expect(run.sessionId).not.toBe(firstSession);
    for (const marker of ['EDITED first turn', 'Hello from mock', 'second turn', 'NEW-MARKER']) expect(run.stdin).toContain(marker);
  });

  test('an answer the agent changed before echoing it back counts as a rewrite', async () => {
    const conversation = await turn('s-edited-answer', [{ role: 'user', content: 'hi' }]);
    await turn('s-edited-answer', [conversation[0]!, { role: 'assistant', content: 'something the CLI never said' }, { role: 'user', content: 'next' }]);
    expect(lastRun().argv).not.toContain('--resume');
  });

  test('a streamed answer is remembered too: the next turn resumes', async () => {
    const conversation = await turn('s-streamed', [{ role: 'user', content: 'stream one' }], undefined, true);
    const session = lastRun().sessionId;
    await turn('s-streamed', [...conversation, { role: 'user', content: 'plain two' }]);
    expect(argValue(lastRun().argv, '--resume')).toBe(session);
    expect(lastRun().stdin).toBe('plain two');
  });

  test('a changed system prompt is sent along with the new turns', async () => {
    const conversation = await turn('s-system', [{ role: 'user', content: 'one' }], 'Old rules');
    await turn('s-system', [...conversation, { role: 'user', content: 'two' }], 'New rules NEW-SYSTEM-MARKER');
    const run = lastRun();
    expect(run.argv).toContain('--resume');
    expect(run.stdin).toContain('<system_prompt_update>\nNew rules NEW-SYSTEM-MARKER\n</system_prompt_update>');
    expect(run.stdin!.trimEnd().endsWith('two')).toBe(true);
    expect(run.stdin).not.toContain('Old rules');
  });

  test('the CLI lost the session (--resume finds nothing): retried fresh with the whole conversation', async () => {
    const conversation = await turn('s-lost', [{ role: 'user', content: 'remember LOST-MARKER' }]);
    fake.clearSessions();
    await fake.clearRuns();
    const history: Turn[] = [...conversation, { role: 'user', content: 'what did I say?' }];
    const client = sdk(proxy, sessionHeaders('s-lost'));
    const answer = await client.messages.create({ model: MODEL, max_tokens: 64, messages: history });
    expect(answer.content).toEqual([{ type: 'text', text: 'Hello from mock' }]);
    const [failed, retried] = fake.runs();
    expect(failed!.argv).toContain('--resume');
    expect(failed!.exitCode).toBe(1);
    expect(retried!.argv).not.toContain('--resume');
    expect(retried!.stdin).toContain('LOST-MARKER');
    expect(retried!.stdin).toContain('what did I say?');
  });

  test('--continue with no conversation to continue: retried fresh', async () => {
    fake.clearSessions();
    fake.setControl({ continueWithoutSession: 'error' });
    const answer = await sdk(proxy, NO_SESSION_HEADERS).messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'first ever' }] });
    expect(answer.content).toEqual([{ type: 'text', text: 'Hello from mock' }]);
    const [failed, retried] = fake.runs();
    expect(failed!.argv).toContain('--continue');
    expect(retried!.argv).not.toContain('--continue');
  });

  test('the map is a small JSON file under state.dir (no conversation text in it)', async () => {
    await turn('s-file', [{ role: 'user', content: 'PRIVATE-TEXT-MARKER' }]);
    const { text, data } = await storeWhen(path.join(state.dir, STORE_FILE), (stored) => Object.keys(stored.sessions).some((key) => key.endsWith('s-file')));
    expect(data.version).toBe(1);
    expect(data.sessions[`openclaw\u0000s-file`]!.cliSessionId).toBe(lastRun().sessionId);
    expect(text).not.toContain('PRIVATE-TEXT-MARKER');
  });
});

describe('companion session store recovery', () => {
  test('a corrupt store file is set aside and recreated; requests are served', async () => {
    const fake = createFakeClaude();
    const state = makeTempDir('tokenpak-companion-corrupt-');
    mkdirSync(state.dir, { recursive: true });
    const file = path.join(state.dir, STORE_FILE);
    writeFileSync(file, '{"version": 1, "sessions": {"openclaw\u0000x": {"cliSess');
    const proxy = await startCompanionProxy(fake, COLD, { stateDir: state.dir });
    try {
      const client = sdk(proxy, sessionHeaders('after-corruption'));
      const first = await client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
      expect(first.content).toEqual([{ type: 'text', text: 'Hello from mock' }]);
      expect(readdirSync(state.dir).filter((name) => name.startsWith(`${STORE_FILE}.corrupt-`))).toHaveLength(1);
      const { data } = await storeWhen(file, (stored) => Object.keys(stored.sessions).length > 0);
      expect(Object.keys(data.sessions)).toEqual(['openclaw\u0000after-corruption']);
      expect(proxy.logs.filter((line) => line.includes('was corrupt'))).toHaveLength(1);

      // And it works as a store again: the next turn resumes.
      const session = fake.runs()[0]!.sessionId;
      await client.messages.create({
        model: MODEL,
        max_tokens: 16,
        messages: [
          { role: 'user', content: 'hello' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: 'again' },
        ],
      });
      expect(argValue(fake.runs()[1]!.argv, '--resume')).toBe(session);
    } finally {
      await proxy.stop();
      fake.cleanup();
      state.cleanup();
    }
  });
});
