import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { REPO_ROOT } from '../support/cli-process';
import { rawRequest } from '../support/http-client';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { makeTempDir } from '../support/temp-dir';

/** Debian's chromium, installed by .ci/run. */
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-dashboard' };

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The dashboard in a real browser: loads clean, goes live, shows a new request, updates totals, expands a decision. */
describe('dashboard in Chromium', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let profile: ReturnType<typeof makeTempDir>;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({
      providers: upstreamsAt(upstream.url),
      companion: { dispatch: false },
      ledger: { flushIntervalMs: 50 },
      pricing: { 'claude-mock-1': { input: 3, output: 15 } },
    });
    profile = makeTempDir('tokenpak-chromium-');
    context = await launchChromium(profile.dir, { width: 1400, height: 1000 });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requestedUrls.push(request.url()));
  });
  afterAll(async () => {
    await context?.close();
    profile?.cleanup();
    await proxy?.stop();
    await upstream?.close();
  });

  async function send(headers: Record<string, string> = {}): Promise<string> {
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { ...HEADERS, ...headers },
      body: JSON.stringify({ model: 'claude-mock-1', max_tokens: 8, messages: [] }),
    });
    return String(response.headers['x-tokenpak-request-id']);
  }

  test('live table, totals, chart and decision details', async () => {
    const first = await send();
    await new Promise((resolve) => setTimeout(resolve, 200));

    await page.goto(`${proxy.url}/tokenpak/`);
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 10_000 });
    await page.waitForSelector(`tr.request[data-request-id="${first}"]`);
    await page.waitForSelector('#totals-platform tbody tr[data-key="none"]');
    expect(await page.textContent('#summary [data-field="requests"]')).toBe('1');

    // A request sent now appears without a reload (SSE), and the totals follow.
    const second = await send({ 'X-OpenClaw-Session': 'dash-session-1' });
    const row = await page.waitForSelector(`tr.request[data-request-id="${second}"]`, { timeout: 5000 });
    expect(await row.textContent()).toContain('openclaw');
    await page.waitForSelector('#totals-platform tbody tr[data-key="openclaw"]', { timeout: 5000 });
    await expectEventually(async () => (await page.textContent('#summary [data-field="requests"]')) === '2');
    expect(await page.textContent('#totals-model tbody tr[data-key="claude-mock-1"]')).toContain('$0.0003');
    expect(await page.$$('#chart svg rect')).not.toHaveLength(0);

    // The row expands to its full route decision and the reasons behind it.
    await row.click();
    const detail = await page.waitForSelector(`tr.request[data-request-id="${second}"] + tr.detail`);
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('tokenpak-claude-code');
    expect(text).toContain('dash-session-1');
    expect(text).toContain('signal:openclaw');
    expect(await detail.$$('ol.reasons li')).not.toHaveLength(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    expect(consoleErrors).toEqual([]);
    // Everything the page loaded came from the proxy itself.
    expect(requestedUrls.filter((url) => !url.startsWith(`${proxy.url}/`))).toEqual([]);
  });

  test('the dashboard refuses foreign Hosts and Origins like every other endpoint', async () => {
    const foreignHost = await rawRequest(`${proxy.url}/tokenpak/`, { headers: { host: 'evil.example' } });
    expect(foreignHost.status).toBe(403);
    const foreignOrigin = await rawRequest(`${proxy.url}/tokenpak/requests`, { headers: { origin: 'https://evil.example' } });
    expect(foreignOrigin.status).toBe(403);
    const page = await rawRequest(`${proxy.url}/tokenpak/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  });
});
