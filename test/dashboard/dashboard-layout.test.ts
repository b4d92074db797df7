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
const ROWS = 67;
/** Long real-world model names, priced and unpriced (the "(+N unpriced)" note widens the cost cell). */
const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805-extended-thinking-preview', 'claude-mock-1', 'gpt-5-codex-mini-2026-10-01-preview'];
const WIDTHS = [1024, 1280, 1440, 1920];
const TABLES = ['#totals-platform', '#totals-provider', '#totals-model', '#requests'];

interface Overflow {
  table: string;
  what: string;
  right: number;
  limit: number;
}

/**
 * Runs in the page (plain JS source: this project's TypeScript has no DOM types): everything
 * that must stay visible inside its panel. A table and each of its header cells must end inside
 * the panel's content box (no horizontal scrolling needed), and every numeric cell (counts,
 * tokens, cost, latency) must show its whole text; only names may be shortened with an ellipsis
 * (their full text is in the cell's title).
 */
const FIND_OVERFLOWS = `(tables) => {
  const found = [];
  for (const selector of tables) {
    const table = document.querySelector(selector);
    const panel = table.closest('.panel');
    const style = getComputedStyle(panel);
    const limit = panel.getBoundingClientRect().right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight) + 0.5;
    const right = table.getBoundingClientRect().right;
    if (right > limit) found.push({ table: selector, what: 'table', right, limit });
    if (panel.scrollWidth > panel.clientWidth) found.push({ table: selector, what: 'panel scrolls', right: panel.scrollWidth, limit: panel.clientWidth });
    table.querySelectorAll('thead th').forEach((th) => {
      const box = th.getBoundingClientRect();
      if (box.right > limit) found.push({ table: selector, what: 'header "' + th.textContent + '"', right: box.right, limit });
    });
    table.querySelectorAll('tbody tr:not(.detail)').forEach((tr) => {
      tr.querySelectorAll('td').forEach((td, index) => {
        const numeric = selector === '#requests' ? td.classList.contains('num') : index > 0;
        if (numeric && td.scrollWidth > td.clientWidth) found.push({ table: selector, what: 'cell "' + td.textContent + '" clipped', right: td.scrollWidth, limit: td.clientWidth });
      });
    });
  }
  if (document.documentElement.scrollWidth > window.innerWidth) found.push({ table: 'page', what: 'page scrolls sideways', right: document.documentElement.scrollWidth, limit: window.innerWidth });
  return found;
}`;

function overflows(page: Page): Promise<Overflow[]> {
  return page.evaluate(`(${FIND_OVERFLOWS})(${JSON.stringify(TABLES)})`) as Promise<Overflow[]>;
}

describe('dashboard layout in Chromium', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;
  let profile: ReturnType<typeof makeTempDir>;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({
      providers: upstreamsAt(upstream.url),
      companion: { dispatch: false },
      ledger: { flushIntervalMs: 50 },
      pricing: { 'claude-mock-1': { input: 3, output: 15 } },
    });
    for (let index = 0; index < ROWS; index++) {
      const headers: Record<string, string> = { ...HEADERS, ...(index % 3 === 0 ? { 'X-OpenClaw-Session': `layout-session-${index}` } : {}) };
      const response = await rawRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: MODELS[index % MODELS.length], max_tokens: 8, messages: [] }),
      });
      expect(response.status).toBe(200);
    }
    profile = makeTempDir('tokenpak-chromium-');
    context = await launchChromium(profile.dir, { width: WIDTHS[0]!, height: 900 });
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
    profile?.cleanup();
    await proxy?.stop();
    await upstream?.close();
  });

  test.each(WIDTHS)(`at %i px with ${ROWS} rows, every table fits its panel and no number is cut off`, async (width) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${proxy.url}/tokenpak/`);
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 15_000 });
    await page.waitForFunction(`document.querySelectorAll('#requests tbody tr.request').length >= ${ROWS}`, undefined, { timeout: 15_000 });
    await page.waitForSelector('#totals-model tbody tr[data-key="claude-opus-4-1-20250805-extended-thinking-preview"]', { timeout: 15_000 });
    // An opened route decision must not widen the table either.
    await page.click('#requests tbody tr.request');
    await page.waitForSelector('#requests tbody tr.detail');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${width}.png`), fullPage: false });
    expect(await overflows(page)).toEqual([]);
    // Shortened names keep their full text in a tooltip.
    const model = await page.$('#totals-model tbody tr[data-key="claude-opus-4-1-20250805-extended-thinking-preview"] td');
    expect(await model!.getAttribute('title')).toBe('claude-opus-4-1-20250805-extended-thinking-preview');
  });
});
