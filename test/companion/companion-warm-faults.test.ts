import type Anthropic from '@anthropic-ai/sdk';
import http from 'node:http';
import type { RunningProxy } from '../support/proxy-harness';
import { argValue, createFakeClaude, type FakeClaude, type FakeRun } from './support/fake-claude';
import { CALLER_KEY, companionStatus, jsonOf, MODEL, postMessages, sdk, sessionHeaders, startCompanionProxy } from './support/companion-harness';
import { isProcessAlive, waitFor } from './support/process-table';

/**
 * Warm sessions under faults and limits (ARCHITECTURE §2.6.1): idle expiry, LRU
 * eviction, a process that died between turns or mid-turn, client disconnect, shutdown,
 * pings before a slow first event, and what status shows.
 */
type Turn = Anthropic.MessageParam;

const warmRuns = (fake: FakeClaude): FakeRun[] => fake.runs().filter((run) => run.argv.includes('--input-format'));

async function ask(client: Anthropic, history: Turn[], text: string): Promise<Turn[]> {
  const messages: Turn[] = [...history, { role: 'user', content: text }];
  const message = await client.messages.create({ model: MODEL, max_tokens: 64, messages });
  return [...messages, { role: 'assistant', content: message.content.map((block) => (block.type === 'text' ? block.text : '')).join('') }];
}

/** A streaming POST read as raw SSE, with the time (ms after sending) each event and the status line arrived. */
function rawStream(
  proxy: RunningProxy,
  sessionId: string,
  messages: Turn[],
): Promise<{ status: number; headersAt: number; events: Array<{ name: string; at: number }> }> {
  const body = JSON.stringify({ model: MODEL, max_tokens: 64, stream: true, messages });
  const sentAt = Date.now();
  return new Promise((resolve, reject) => {
    const request = http.request(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CALLER_KEY, ...sessionHeaders(sessionId) },
    });
    request.on('response', (response) => {
      const headersAt = Date.now() - sentAt;
      const events: Array<{ name: string; at: number }> = [];
      let buffered = '';
      response.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let end;
        while ((end = buffered.indexOf('\n\n')) !== -1) {
          const name = /^event: (.+)$/m.exec(buffered.slice(0, end))?.[1] ?? '';
          events.push({ name, at: Date.now() - sentAt });
          buffered = buffered.slice(end + 2);
        }
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headersAt, events }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('warm sessions: limits and faults', () => {
  let fake: FakeClaude;
  const proxies: RunningProxy[] = [];
  const start = async (companion: Parameters<typeof startCompanionProxy>[1]): Promise<RunningProxy> => {
    const proxy = await startCompanionProxy(fake, { continue: false, ...companion });
    proxies.push(proxy);
    return proxy;
  };

  beforeAll(() => {
    fake = createFakeClaude();
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
    fake.setControl({});
    await fake.clearRuns();
  });
  afterAll(() => fake.cleanup());

  test('an idle warm process is ended after companion.warm.idleMs', async () => {
    const proxy = await start({ warm: { idleMs: 1000 } });
    await ask(sdk(proxy, sessionHeaders('idle')), [], 'hello');
    const [run] = warmRuns(fake);
    expect(isProcessAlive(run!.pid)).toBe(true);
    expect(((await companionStatus(proxy)) as unknown as { warm: { sessions: unknown[] } }).warm.sessions).toHaveLength(1);
    await waitFor(() => !isProcessAlive(run!.pid), 10_000, 'the idle process to end');
    // Ended politely: stdin closed, the CLI exited by itself (exit recorded, code 0).
    await waitFor(() => warmRuns(fake)[0]!.end !== null, 5000, 'the exit to be recorded');
    expect(warmRuns(fake)[0]!.exitCode).toBe(0);
    expect(((await companionStatus(proxy)) as unknown as { warm: { sessions: unknown[] } }).warm.sessions).toHaveLength(0);
  });

  test('a full pool evicts the least recently used idle session', async () => {
    const proxy = await start({ warm: { max: 2 } });
    const a = await ask(sdk(proxy, sessionHeaders('lru-a')), [], 'A1');
    await ask(sdk(proxy, sessionHeaders('lru-b')), [], 'B1');
    await ask(sdk(proxy, sessionHeaders('lru-a')), a, 'A2'); // A is now the most recent
    await ask(sdk(proxy, sessionHeaders('lru-c')), [], 'C1'); // evicts B
    const runs = warmRuns(fake);
    expect(runs).toHaveLength(3);
    const [runA, runB, runC] = runs;
    await waitFor(() => !isProcessAlive(runB!.pid), 5000, 'B to be evicted');
    expect(isProcessAlive(runA!.pid)).toBe(true);
    expect(isProcessAlive(runC!.pid)).toBe(true);
    expect(runA!.lines).toHaveLength(2);
  });

  test('a warm process killed between turns: the next turn is still served (a new CLI resumes the session)', async () => {
    const proxy = await start({});
    const client = sdk(proxy, sessionHeaders('killed-between'));
    const history = await ask(client, [], 'BEFORE the kill');
    const [first] = warmRuns(fake);
    process.kill(first!.pid, 'SIGKILL');
    await waitFor(() => !isProcessAlive(first!.pid), 5000, 'the kill');
    const after = await ask(client, history, 'AFTER the kill');
    expect(after[3]!.content).toBe('Hello from mock');
    const runs = warmRuns(fake);
    expect(runs).toHaveLength(2);
    expect(argValue(runs[1]!.argv, '--resume')).toBe(first!.sessionId);
    expect(runs[1]!.lines.map((line) => line.line)).toEqual([expect.stringContaining('AFTER the kill')]);
  });

  test('a warm process killed mid-turn: 502 for that turn, no process left, the next turn starts over', async () => {
    const proxy = await start({});
    const client = sdk(proxy, sessionHeaders('killed-mid'));
    // The CLI starts a long-lived child of its own (as its tools do).
    fake.setControl({ grandchild: true });
    const history = await ask(client, [], 'turn one');
    const [run] = warmRuns(fake);
    expect(isProcessAlive(run!.grandchildPid!)).toBe(true);
    fake.setControl({ streamDelayMs: 400 });
    const pending = postMessages(
      proxy,
      { model: MODEL, max_tokens: 64, messages: [...history, { role: 'user', content: 'turn two' }] },
      sessionHeaders('killed-mid'),
    );
    await waitFor(() => (warmRuns(fake)[0]?.lines.length ?? 0) === 2, 5000, 'turn two to reach the CLI');
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(run!.pid, 'SIGKILL');
    const response = await pending;
    expect(response.status).toBe(502);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(jsonOf<{ type: string; error: { type: string } }>(response)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    await waitFor(() => !isProcessAlive(run!.pid) && !isProcessAlive(run!.grandchildPid!), 5000, 'the killed CLI and its child to be gone');
    fake.setControl({});
    // The session was forgotten: the whole conversation goes to a fresh CLI.
    await ask(client, history, 'turn three');
    const runs = warmRuns(fake);
    expect(runs).toHaveLength(2);
    expect(argValue(runs[1]!.argv, '--resume')).toBeUndefined();
    expect(runs[1]!.lines[0]!.line).toContain('turn one');
  });

  test('a turn longer than companion.timeoutMs: 504, the warm process is stopped', async () => {
    const proxy = await start({ timeoutMs: 1500 });
    const client = sdk(proxy, sessionHeaders('timeout'));
    const history = await ask(client, [], 'turn one');
    const [run] = warmRuns(fake);
    fake.setControl({ hang: true });
    const response = await postMessages(
      proxy,
      { model: MODEL, max_tokens: 64, messages: [...history, { role: 'user', content: 'turn two' }] },
      sessionHeaders('timeout'),
    );
    expect(response.status).toBe(504);
    expect(jsonOf<{ error: { type: string } }>(response).error.type).toBe('timeout_error');
    await waitFor(() => !isProcessAlive(run!.pid), 5000, 'the CLI to be stopped');
  });

  test('the CLI missing: 502 api_error with the install hint, and the proxy keeps serving', async () => {
    const proxy = await start({ command: '/nonexistent/bin/claude' });
    const response = await postMessages(
      proxy,
      { model: MODEL, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      sessionHeaders('missing'),
    );
    expect(response.status).toBe(502);
    expect(response.headers['x-tokenpak-error']).toBe('1');
    expect(jsonOf<{ error: { type: string; message: string } }>(response).error).toMatchObject({
      type: 'api_error',
      message: expect.stringContaining('npm install -g @anthropic-ai/claude-code'),
    });
    const again = await postMessages(proxy, { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, sessionHeaders('missing'));
    expect(again.status).toBe(502);
  });

  test('client disconnect mid-turn ends the warm process', async () => {
    const proxy = await start({});
    const client = sdk(proxy, sessionHeaders('disconnect'));
    const history = await ask(client, [], 'turn one');
    const [run] = warmRuns(fake);
    fake.setControl({ streamDelayMs: 300, chunks: ['a', 'b', 'c', 'd', 'e', 'f'], text: 'abcdef' });
    const controller = new AbortController();
    const stream = client.messages.stream(
      { model: MODEL, max_tokens: 64, messages: [...history, { role: 'user', content: 'turn two' }] },
      { signal: controller.signal },
    );
    await new Promise<void>((resolve) => stream.on('text', () => resolve()));
    controller.abort();
    await stream.finalMessage().catch(() => undefined);
    await waitFor(() => !isProcessAlive(run!.pid), 5000, 'the CLI to be ended');
    expect(((await companionStatus(proxy)) as unknown as { warm: { sessions: unknown[] } }).warm.sessions).toHaveLength(0);
  });

  test('shutdown ends every warm process and the spare', async () => {
    const proxy = await start({ warm: { spare: 1 } });
    await ask(sdk(proxy, sessionHeaders('shut-a')), [], 'A');
    await ask(sdk(proxy, sessionHeaders('shut-b')), [], 'B');
    const status = (await companionStatus(proxy)) as unknown as { warm: { sessions: Array<{ pid: number }>; spare: { pid: number } | null } };
    await waitFor(() => fake.runs().length === 3, 5000, 'the spare to start');
    const pids = fake.runs().map((run) => run.pid);
    expect(status.warm.sessions).toHaveLength(2);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(true);
    await proxies.splice(0)[0]!.stop();
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  test('a new conversation on the default model takes the spare (no boot), and a new spare is started', async () => {
    fake.setControl({ startupMs: 1500 });
    const proxy = await start({ warm: { spare: 1 } });
    // No model: the CLI's default, the only kind the spare serves.
    const first = await postMessages(proxy, { max_tokens: 16, messages: [{ role: 'user', content: 'one' }] }, sessionHeaders('spare-1'));
    expect(first.status).toBe(200);
    expect(first.headers['x-tokenpak-companion']).toMatch(/^cold \(platform session seen/);
    await waitFor(() => fake.runs().length === 2, 5000, 'the spare to start');
    await new Promise((resolve) => setTimeout(resolve, 1600)); // the spare boots
    const startedAt = Date.now();
    const second = await postMessages(proxy, { max_tokens: 16, messages: [{ role: 'user', content: 'two' }] }, sessionHeaders('spare-2'));
    expect(second.status).toBe(200);
    expect(second.headers['x-tokenpak-companion']).toMatch(/^cold \(spare process; /);
    // The turn went to the process started (and booted) before the request: no new CLI.
    const spare = fake.runs()[1]!;
    expect(spare.start).toBeLessThan(startedAt);
    expect(spare.lines.map((line) => line.line)).toEqual([expect.stringContaining('two')]);
    expect(argValue(spare.argv, '--model')).toBeUndefined();
    const third = await postMessages(
      proxy,
      {
        max_tokens: 16,
        messages: [
          { role: 'user', content: 'two' },
          { role: 'assistant', content: 'Hello from mock' },
          { role: 'user', content: 'three' },
        ],
      },
      sessionHeaders('spare-2'),
    );
    expect(third.headers['x-tokenpak-companion']).toBe('warm');
  });

  test('SSE opens at hand-off and sends event: ping while the CLI is silent', async () => {
    const proxy = await start({ pingIntervalMs: 100 });
    await ask(sdk(proxy, sessionHeaders('ping')), [], 'turn one');
    fake.setControl({ sleepMs: 900 });
    const result = await rawStream(proxy, 'ping', [
      { role: 'user', content: 'turn one' },
      { role: 'assistant', content: 'Hello from mock' },
      { role: 'user', content: 'slow turn' },
    ]);
    expect(result.status).toBe(200);
    const firstEvent = result.events.find((event) => event.name === 'message_start')!;
    expect(firstEvent.at).toBeGreaterThanOrEqual(800);
    expect(result.headersAt).toBeLessThan(firstEvent.at);
    const pingsBefore = result.events.filter((event) => event.name === 'ping' && event.at < firstEvent.at);
    expect(pingsBefore.length).toBeGreaterThanOrEqual(2);
    expect(result.events.at(-1)!.name).toBe('message_stop');
  });

  test('status lists warm sessions (hashed key, pid, model, turns, idle, RSS) and the tool policy', async () => {
    const proxy = await start({ tools: 'Read,Grep' });
    const client = sdk(proxy, sessionHeaders('status-secret-session-id'));
    const history = await ask(client, [], 'one');
    await ask(client, history, 'two');
    const status = (await companionStatus(proxy)) as unknown as { tools: string; warm: { max: number; sessions: Array<Record<string, unknown>> } };
    expect(status.tools).toBe('Read,Grep');
    expect(argValue(warmRuns(fake)[0]!.argv, '--tools')).toBe('Read,Grep');
    expect(status.warm.max).toBe(4);
    expect(status.warm.sessions).toEqual([
      {
        key: expect.stringMatching(/^[0-9a-f]{12}$/),
        pid: warmRuns(fake)[0]!.pid,
        model: MODEL,
        ageMs: expect.any(Number),
        turns: 2,
        idleMs: expect.any(Number),
        busy: false,
        rssKiB: expect.any(Number),
      },
    ]);
    expect(JSON.stringify(status)).not.toContain('status-secret-session-id');
  });
});
