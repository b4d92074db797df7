import { readFileSync } from 'node:fs';
import { createLogger } from '@tokenpak/core';
import { DEFAULT_PRICE_FILE, loadPriceBook } from '../../packages/core/src/pricing/load-price-book';
import { priceFileSchema } from '../../packages/core/src/config/model-price-schema';
import { PriceBook } from '../../packages/core/src/pricing/price-book';
import type { TokenUsage } from '../../packages/core/src/usage/token-usage';

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0, cacheWrite1h = 0): TokenUsage => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
  cacheWriteTokens: cacheWrite,
  cacheWrite1hTokens: cacheWrite1h,
});

describe('prices', () => {
  const book = new PriceBook(
    {
      'claude-opus-4-8': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25, cacheWrite1h: 10 },
      'claude-sonnet-4-5': {
        input: 3,
        output: 15,
        cacheRead: 0.3,
        cacheWrite: 3.75,
        longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5 },
      },
      'gpt-4o': { input: 2.5, output: 10 },
      'to-remove': { input: 1, output: 1 },
    },
    { 'my-model': { input: 1, output: 2 }, 'to-remove': null },
  );

  test('input, output, cache read, 5-minute and 1-hour cache writes each at their rate', () => {
    expect(book.costOf('claude-opus-4-8', usage(1_000_000, 1_000_000, 1_000_000, 1_000_000, 400_000))).toBeCloseTo(5 + 25 + 0.5 + 0.6 * 6.25 + 0.4 * 10, 10);
  });
  test('dated snapshots and [1m] annotations name the same model; other names are unknown, never guessed', () => {
    expect(book.priceOf('claude-sonnet-4-5-20250929')).toBe(book.priceOf('claude-sonnet-4-5'));
    expect(book.priceOf('gpt-4o-2024-08-06')).toBe(book.priceOf('gpt-4o'));
    expect(book.priceOf('claude-opus-4-8[1m]')).toBe(book.priceOf('claude-opus-4-8'));
    expect(book.costOf('gpt-4o-mini', usage(1, 1))).toBeNull();
    expect(book.costOf('claude-opus-4-9', usage(1, 1))).toBeNull();
    expect(book.costOf(null, usage(1, 1))).toBeNull();
  });
  test('a token kind without a rate makes the cost unknown', () => {
    expect(book.costOf('gpt-4o', usage(10, 10))).toBeCloseTo((25 + 100) / 1e6, 12);
    expect(book.costOf('gpt-4o', usage(10, 10, 5))).toBeNull();
  });
  test('long-context rates apply above the threshold', () => {
    expect(book.costOf('claude-sonnet-4-5', usage(100_000, 1000, 150_000))).toBeCloseTo((100_000 * 6 + 1000 * 22.5 + 150_000 * 0.6) / 1e6, 10);
    expect(book.costOf('claude-sonnet-4-5', usage(100_000, 1000))).toBeCloseTo((100_000 * 3 + 1000 * 15) / 1e6, 10);
  });
  test('config overrides add models and null removes one', () => {
    expect(book.costOf('my-model', usage(1e6, 1e6))).toBe(3);
    expect(book.priceOf('to-remove')).toBeNull();
  });
  test('no usage, no cost', () => expect(book.costOf('gpt-4o', null)).toBeNull());

  test('config/pricing.json is valid, dated, and prices the models the captures used', () => {
    const file = priceFileSchema.parse(JSON.parse(readFileSync(DEFAULT_PRICE_FILE, 'utf8')));
    expect(file.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const loaded = loadPriceBook({}, createLogger('silent'));
    for (const model of ['claude-opus-4-8', 'claude-sonnet-4-5', 'gpt-5', 'gpt-5-codex']) expect(loaded.priceOf(model)).not.toBeNull();
    // The captured CLI result record for claude-opus-4-8: 12 in, 5 out, total_cost_usd 0.000185.
    expect(loaded.costOf('claude-opus-4-8', usage(12, 5))).toBeCloseTo(0.000185, 9);
  });
});
