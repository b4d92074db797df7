import { CALLER_KEY, MODEL, sdk, sessionHeaders, startCompanionProxy } from '../companion/support/companion-harness';
import { createFakeClaude, type FakeClaude } from '../companion/support/fake-claude';
import { waitForLedgerRows } from '../support/ledger-helpers';
import type { RunningProxy } from '../support/proxy-harness';

/** A companion run (the fake `claude` CLI) lands in the ledger with the usage from its result record. */
describe('companion runs in the ledger', () => {
  let fake: FakeClaude;
  let proxy: RunningProxy;
  const usage = { input_tokens: 321, output_tokens: 54, cache_creation_input_tokens: 3, cache_read_input_tokens: 7 };

  beforeAll(async () => {
    fake = createFakeClaude();
    proxy = await startCompanionProxy(
      fake,
      {},
      { config: { ledger: { flushIntervalMs: 20 }, pricing: { [MODEL]: { input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5 } } } },
    );
  });
  afterAll(async () => {
    await proxy.stop();
    fake.cleanup();
  });

  test.each([false, true])('stream=%s: decision fields, model, tokens and cost', async (stream) => {
    await fake.clearRuns();
    fake.setControl({ text: 'Companion says hello.', chunks: ['Companion', ' says hello.'], usage });
    const client = sdk(proxy, sessionHeaders(`ledger-${String(stream)}`));
    let requestId: string;
    if (stream) {
      const run = client.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      await run.finalMessage();
      requestId = (await run.withResponse()).response.headers.get('x-tokenpak-request-id')!;
    } else {
      const { response } = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      requestId = response.headers.get('x-tokenpak-request-id')!;
    }
    const row = (await waitForLedgerRows(proxy.url, [requestId])).get(requestId)!;
    expect(row).toMatchObject({
      platform: 'openclaw',
      sessionId: `ledger-${String(stream)}`,
      provider: 'tokenpak-claude-code',
      backend: 'oauth',
      via: 'companion',
      credentialSource: 'claude-cli',
      upstream: null,
      model: MODEL,
      status: 200,
      errorType: null,
      inputTokens: 321,
      outputTokens: 54,
      cacheReadTokens: 7,
      cacheWriteTokens: 3,
    });
    // The companion writes the body itself: it reports time to first byte and bytes out.
    expect(row.ttfbMs).toEqual(expect.any(Number));
    expect(row.ttfbMs!).toBeGreaterThan(0);
    expect(row.ttfbMs!).toBeLessThanOrEqual(row.totalMs!);
    expect(row.bytesOut).toEqual(expect.any(Number));
    expect(row.bytesOut!).toBeGreaterThan(stream ? 500 : 100);
    expect(row.costUsd).toBeCloseTo((321 * 2 + 54 * 10 + 7 * 0.2 + 3 * 2.5) / 1e6, 12);
    expect(JSON.stringify(row)).not.toContain(CALLER_KEY);
  });
});
