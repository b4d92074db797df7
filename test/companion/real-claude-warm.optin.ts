import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CANNED } from '../support/canned-responses';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import type { RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';
import { createFakeClaude, type FakeClaude } from './support/fake-claude';
import { companionStatus, MODEL, sdk, sessionHeaders, startCompanionProxy } from './support/companion-harness';
import { isProcessAlive } from './support/process-table';

/**
 * Opt-in: checks the fake `claude` against the real CLI in streaming-input mode, and a
 * warm conversation through TokenPak on the real CLI. Set TOKENPAK_REAL_CLAUDE to
 * the real CLI's path and run inside a network namespace with only loopback, e.g.
 *   unshare -rn sh -c 'ip link set lo up && TOKENPAK_REAL_CLAUDE=/tmp/realclaude/node_modules/.bin/claude npm run test:real-claude'
 * The real CLI talks only to a loopback mock model (ANTHROPIC_BASE_URL, a fake key, a temp HOME).
 */
const REAL_CLAUDE = process.env.TOKENPAK_REAL_CLAUDE;
const WARM_ARGS = ['--print', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--tools', ''];

/** `type[/subtype][:event]` of one record. */
function shape(line: string): string {
  const record = JSON.parse(line) as { type: string; subtype?: string; event?: { type: string } };
  return `${record.type}${record.subtype ? `/${record.subtype}` : ''}${record.event ? `:${record.event.type}` : ''}`;
}

/** Runs `command` in streaming-input mode, writes `turns` lines one after another (each after the previous result). */
function converse(command: string, cwd: string, turns: string[]): Promise<{ perTurn: string[][]; sessionIds: Set<string>; exitCode: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, WARM_ARGS, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const perTurn: string[][] = [[]];
    const sessionIds = new Set<string>();
    let buffered = '';
    let next = 0;
    const writeNext = (): void => {
      if (next < turns.length)
        child.stdin.write(`${JSON.stringify({ type: 'user', message: { role: 'user', content: turns[next++] }, parent_tool_use_id: null, session_id: '' })}\n`);
      else child.stdin.end();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as { type: string; session_id?: string };
        if (record.session_id) sessionIds.add(record.session_id);
        perTurn[perTurn.length - 1]!.push(shape(line));
        if (record.type === 'result') {
          perTurn.push([]);
          writeNext();
        }
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ perTurn: perTurn.filter((turn) => turn.length > 0), sessionIds, exitCode: code }));
    writeNext();
  });
}

if (REAL_CLAUDE) {
  describe('the real claude CLI in streaming-input mode (opt-in)', () => {
    let mock: MockUpstream;
    let fake: FakeClaude;
    const temp = makeTempDir('tokenpak-real-claude-');
    let wrapper: string;

    beforeAll(async () => {
      mock = await startMockUpstream();
      fake = createFakeClaude();
      mkdirSync(path.join(temp.dir, 'home'));
      wrapper = path.join(temp.dir, 'claude');
      writeFileSync(
        wrapper,
        [
          '#!/bin/sh',
          `export HOME='${path.join(temp.dir, 'home')}' ANTHROPIC_BASE_URL='${mock.url}' ANTHROPIC_API_KEY='sk-ant-api03-fake'`,
          'export DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
          `exec '${REAL_CLAUDE}' "$@"`,
          '',
        ].join('\n'),
      );
      chmodSync(wrapper, 0o755);
    });
    afterAll(async () => {
      await mock.close();
      fake.cleanup();
      temp.cleanup();
    });

    test('the fake prints the record sequence the real CLI prints, turn by turn, one session id, exit 0 when stdin closes', async () => {
      const turns = ['say hi', 'say hi again', 'and once more'];
      const real = await converse(wrapper, temp.dir, turns);
      const imitation = await converse(fake.command, temp.dir, turns);
      expect(real.exitCode).toBe(0);
      expect(real.perTurn).toHaveLength(3);
      expect(real.sessionIds.size).toBe(1);
      // The real CLI may interleave extra system records; the API events and the result must match
      // (how many text deltas depends on the model's answer: runs of them count as one).
      const essential = (turn: string[]): string[] =>
        turn
          .filter((s) => s.startsWith('stream_event') || s === 'result/success' || s === 'system/init')
          .filter((s, i, all) => !(s === 'stream_event:content_block_delta' && all[i - 1] === s));
      expect(imitation.perTurn.map(essential)).toEqual(real.perTurn.map(essential));
      expect(imitation.sessionIds.size).toBe(1);
      expect(imitation.exitCode).toBe(0);
    }, 60_000);

    test('three turns through TokenPak on the real CLI: one process, answers from the mock model', async () => {
      const proxy: RunningProxy = await startCompanionProxy(fake, { command: wrapper, continue: false });
      try {
        const client = sdk(proxy, sessionHeaders('real-warm'));
        const messages: Array<{ role: 'user' | 'assistant'; content: string }> = [];
        for (const text of ['one', 'two', 'three']) {
          messages.push({ role: 'user', content: text });
          const { data, response } = await client.messages.create({ model: MODEL, max_tokens: 64, messages }).withResponse();
          const answer = data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
          expect(answer).toBe(CANNED.anthropicStreamText.join(''));
          expect(response.headers.get('x-tokenpak-companion')).toEqual(messages.length === 1 ? expect.stringMatching(/^cold/) : 'warm');
          messages.push({ role: 'assistant', content: answer });
        }
        const status = (await companionStatus(proxy)) as unknown as { warm: { sessions: Array<{ turns: number; pid: number }> } };
        expect(status.warm.sessions).toEqual([expect.objectContaining({ turns: 3 })]);
        const pid = status.warm.sessions[0]!.pid;
        await proxy.stop();
        expect(isProcessAlive(pid)).toBe(false);
      } finally {
        await proxy.stop();
      }
    }, 120_000);
  });
} else {
  // Opt-in suites run only through `npm run test:real-claude`; without the CLI's path that is a mistake worth failing on.
  test('TOKENPAK_REAL_CLAUDE names the real claude CLI to check the fake against', () => {
    throw new Error('set TOKENPAK_REAL_CLAUDE=<path to claude> (and run inside `unshare -rn`)');
  });
}
