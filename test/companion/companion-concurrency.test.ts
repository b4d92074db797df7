import { companionStatus, jsonOf, MODEL, postMessages, sdk, sessionHeaders, startCompanionProxy, statusWhen, COLD } from './support/companion-harness';
import { createFakeClaude, maxOverlap, type FakeClaude } from './support/fake-claude';
import { waitFor } from './support/process-table';

const body = (text: string) => ({ model: MODEL, max_tokens: 16, messages: [{ role: 'user' as const, content: text }] });

/** One session never runs two CLI processes at once; across sessions the limit holds; overflow is refused. */
describe('companion scheduling', () => {
  let fake: FakeClaude;
  beforeAll(() => {
    fake = createFakeClaude();
  });
  afterAll(() => fake.cleanup());
  beforeEach(() => fake.clearRuns());

  test('two concurrent requests of one session never overlap', async () => {
    const proxy = await startCompanionProxy(fake, { ...COLD, maxConcurrent: 4 });
    try {
      fake.setControl({ sleepMs: 300 });
      const client = sdk(proxy, sessionHeaders('one-session'));
      const answers = await Promise.all([client.messages.create(body('first')), client.messages.create(body('second'))]);
      expect(answers.map((answer) => answer.content)).toEqual([[{ type: 'text', text: 'Hello from mock' }], [{ type: 'text', text: 'Hello from mock' }]]);
      const runs = fake.runs();
      expect(runs).toHaveLength(2);
      expect(runs[0]!.end).not.toBeNull();
      expect(runs[0]!.end!).toBeLessThanOrEqual(runs[1]!.start);
    } finally {
      await proxy.stop();
    }
  });

  test('6 concurrent sessions with maxConcurrent 2: never more than 2 live CLI processes', async () => {
    const proxy = await startCompanionProxy(fake, { ...COLD, maxConcurrent: 2 });
    try {
      fake.setControl({ sleepMs: 250 });
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => sdk(proxy, sessionHeaders(`parallel-${i}`)).messages.create(body(`request ${i}`))));
      expect(answers).toHaveLength(6);
      const runs = fake.runs();
      expect(runs).toHaveLength(6);
      expect(maxOverlap(runs)).toBe(2);
      expect(await companionStatus(proxy)).toMatchObject({ inFlight: 0, queued: 0, completed: 6 });
    } finally {
      await proxy.stop();
    }
  });

  test('an overfull queue gets 429 rate_limit_error with retry-after', async () => {
    const proxy = await startCompanionProxy(fake, { ...COLD, maxConcurrent: 1, maxQueue: 1 });
    try {
      fake.setControl({ sleepMs: 800 });
      const running = postMessages(proxy, body('runs'), sessionHeaders('q-1'));
      await waitFor(() => fake.runs().length === 1, 5000, 'the first run to start');
      const queued = postMessages(proxy, body('waits'), sessionHeaders('q-2'));
      expect(await statusWhen(proxy, (status) => status.queued === 1)).toMatchObject({ inFlight: 1, queued: 1 });

      const refused = await postMessages(proxy, body('refused'), sessionHeaders('q-3'));
      expect(refused.status).toBe(429);
      expect(refused.headers['x-tokenpak-error']).toBe('1');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(jsonOf(refused)).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });

      const [first, second] = await Promise.all([running, queued]);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(fake.runs()).toHaveLength(2);
      expect(await companionStatus(proxy)).toMatchObject({ rejected: 1, completed: 2 });
    } finally {
      await proxy.stop();
    }
  });

  test('a client that gives up while queued never gets a CLI process', async () => {
    const proxy = await startCompanionProxy(fake, { ...COLD, maxConcurrent: 1 });
    try {
      fake.setControl({ sleepMs: 500 });
      const running = postMessages(proxy, body('runs'), sessionHeaders('g-1'));
      await waitFor(() => fake.runs().length === 1, 5000, 'the first run to start');
      const controller = new AbortController();
      const abandoned = sdk(proxy, sessionHeaders('g-2')).messages.create(body('abandoned'), { signal: controller.signal });
      expect(await statusWhen(proxy, (status) => status.queued === 1)).toMatchObject({ queued: 1 });
      controller.abort();
      await expect(abandoned).rejects.toThrow();
      expect(await statusWhen(proxy, (status) => status.queued === 0)).toMatchObject({ queued: 0, inFlight: 1 });
      expect((await running).status).toBe(200);
      expect(fake.runs()).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });
});
