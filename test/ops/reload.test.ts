import { readFileSync, writeFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { anthropicSse } from '../support/canned-responses';
import { ledgerRows, waitForLedgerRows } from '../support/ledger-helpers';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { createLatch, holdingSseHandler, streamRequest, within } from '../support/stream-helpers';

const SSE_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-reload-test' };
const SSE_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

function rewriteConfig(proxy: RunningProxy, change: (config: Record<string, unknown>) => Record<string, unknown>): void {
  const config = JSON.parse(readFileSync(proxy.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(proxy.configPath, JSON.stringify(change(config), null, 2));
}

/** ARCHITECTURE §7: reload swaps the config generation for new requests; in-flight ones finish on the old. */
describe('reload (in-process)', () => {
  let oldUpstream: MockUpstream;
  let newUpstream: MockUpstream;
  let proxy: RunningProxy;

  beforeEach(async () => {
    oldUpstream = await startMockUpstream();
    newUpstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(oldUpstream.url) });
  });
  afterEach(async () => {
    await proxy?.stop();
    await oldUpstream?.close();
    await newUpstream?.close();
  });

  test('a stream open across a reload completes on the old upstream; the next request goes to the new one', async () => {
    const latch = createLatch();
    const events = anthropicSse();
    oldUpstream.setHandler(holdingSseHandler(events, latch, 1));
    const stream = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: SSE_HEADERS, body: SSE_BODY });
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor((received) => received.includes(events[0]!), 10_000);

      rewriteConfig(proxy, (config) => ({ ...config, providers: upstreamsAt(newUpstream.url) }));
      const outcome = await within(proxy.tokenpak.reload(), 15_000, 'the reload');
      expect(outcome).toMatchObject({ ok: true, generation: 2 });
      expect(proxy.tokenpak.generation).toBe(2);

      // A real client, after the reload: served by the new config's upstream.
      const client = new Anthropic({ apiKey: 'sk-ant-api03-reload-client', baseURL: proxy.url, maxRetries: 0 });
      const message = await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'after' }] });
      expect(message.type).toBe('message');
      expect(newUpstream.requests).toHaveLength(1);
      expect(oldUpstream.requests).toHaveLength(1);

      // The stream that started before the reload still finishes, whole, from the old upstream.
      latch.open();
      const done = await within(stream.done, 10_000, 'the old stream to finish');
      expect(done.complete).toBe(true);
      expect(done.body.toString('utf8')).toBe(events.join(''));
      expect(proxy.logs.join('')).toMatch(/reloaded: generation 2/);

      // One ledger (shared by both generations): a row for each, naming the upstream each went to.
      const streamId = String(stream.headers['x-tokenpak-request-id']);
      const rows = await waitForLedgerRows(proxy.url, [streamId], 10_000);
      expect(rows.get(streamId)?.upstream).toBe(new URL(oldUpstream.url).origin);
      const deadline = Date.now() + 10_000;
      let all = await ledgerRows(proxy.url);
      while (all.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        all = await ledgerRows(proxy.url);
      }
      expect(all.map((row) => row.upstream).sort()).toEqual([new URL(oldUpstream.url).origin, new URL(newUpstream.url).origin].sort());
    } finally {
      latch.open();
      stream.destroy();
    }
  });

  test('an invalid new config keeps the running one and logs why (the key path)', async () => {
    rewriteConfig(proxy, (config) => ({ ...config, providers: upstreamsAt(newUpstream.url), server: { port: 70000 } }));
    const outcome = await within(proxy.tokenpak.reload(), 15_000, 'the reload');
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.error).toMatch(/server\.port/);
    expect(proxy.tokenpak.generation).toBe(1);
    expect(proxy.logs.join('')).toMatch(/reload failed, still serving generation 1.*server\.port/s);

    const client = new Anthropic({ apiKey: 'sk-ant-api03-reload-client', baseURL: proxy.url, maxRetries: 0 });
    await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'still old' }] });
    expect(oldUpstream.requests).toHaveLength(1);
    expect(newUpstream.requests).toHaveLength(0);

    // Fixing the file and reloading again applies it.
    rewriteConfig(proxy, (config) => ({ ...config, server: { port: 0, shutdownTimeoutMs: 2000 } }));
    expect(await within(proxy.tokenpak.reload(), 15_000, 'the second reload')).toMatchObject({ ok: true, generation: 2 });
    await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'now new' }] });
    expect(newUpstream.requests).toHaveLength(1);
  });

  test('keys a reload cannot apply are named in the log; the rest of the new config applies', async () => {
    rewriteConfig(proxy, (config) => ({ ...config, providers: upstreamsAt(newUpstream.url), ledger: { retentionDays: 7 } }));
    expect(await within(proxy.tokenpak.reload(), 15_000, 'the reload')).toMatchObject({ ok: true, restartNeeded: ['ledger'] });
    expect(proxy.logs.join('')).toMatch(/only applied at the next start: ledger/);
    const client = new Anthropic({ apiKey: 'sk-ant-api03-reload-client', baseURL: proxy.url, maxRetries: 0 });
    await client.messages.create({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(newUpstream.requests).toHaveLength(1);
  });

  test('the replaced generation is disposed once its last request ends: its plugins are unloaded', async () => {
    const first = proxy.tokenpak.container;
    const bridgeBefore = proxy.tokenpak.bridge;
    expect(proxy.tokenpak.plugins.some((plugin) => plugin.state === 'loaded')).toBe(true);
    expect(await within(proxy.tokenpak.reload(), 15_000, 'the reload')).toMatchObject({ ok: true });
    expect(proxy.tokenpak.container).not.toBe(first);
    // Nothing was in flight: the old generation's plugin registrations are undone at once.
    await within(
      (async () => {
        while (bridgeBefore.signals().length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      10_000,
      'the old generation to unload its plugins',
    );
    expect(proxy.tokenpak.bridge.signals().length).toBeGreaterThan(0);
  });
});
