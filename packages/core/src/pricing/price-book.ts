import type { TokenUsage } from '../usage/token-usage';
import type { ModelPrice } from '../config/model-price-schema';

/** Dated snapshot ids name the same model as their alias: `claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`. */
const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/;
/** Client-side annotations that are not part of a model id: `claude-opus-4-8[1m]`. */
const BRACKET_SUFFIX = /\[[^\]]*\]$/;

/**
 * Model → price, and the cost of a request from its token counts. A model is priced only
 * when the table names it (exactly, or as the alias of a dated snapshot); a request that
 * used a kind of token the model has no price for is not priced either: an unknown cost
 * is shown as unknown, never guessed.
 */
export class PriceBook {
  private readonly prices: ReadonlyMap<string, ModelPrice>;

  constructor(
    models: Readonly<Record<string, ModelPrice>>,
    /** `pricing` from the config: adds or replaces models; `null` removes one. */
    overrides: Readonly<Record<string, ModelPrice | null>> = {},
    /** The `updated` date of the built-in table, for display. */
    readonly updated: string | null = null,
  ) {
    const prices = new Map(Object.entries(models));
    for (const [model, price] of Object.entries(overrides)) {
      if (price === null) prices.delete(model);
      else prices.set(model, price);
    }
    this.prices = prices;
  }

  get size(): number {
    return this.prices.size;
  }

  priceOf(model: string | null): ModelPrice | null {
    if (!model) return null;
    const exact = this.prices.get(model);
    if (exact) return exact;
    const bare = model.replace(BRACKET_SUFFIX, '');
    return this.prices.get(bare) ?? this.prices.get(bare.replace(DATE_SUFFIX, '')) ?? null;
  }

  /** USD, or null when the model or a rate it needs is not in the table. */
  costOf(model: string | null, usage: TokenUsage | null): number | null {
    if (!usage) return null;
    const base = this.priceOf(model);
    if (!base) return null;
    const promptTokens = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
    const tier = base.longContext && promptTokens > base.longContext.aboveInputTokens ? base.longContext : null;
    const rate = {
      input: tier?.input ?? base.input,
      output: tier?.output ?? base.output,
      cacheRead: tier?.cacheRead ?? base.cacheRead,
      cacheWrite: tier?.cacheWrite ?? base.cacheWrite,
      cacheWrite1h: tier?.cacheWrite1h ?? tier?.cacheWrite ?? base.cacheWrite1h ?? base.cacheWrite,
    };
    const write5m = usage.cacheWriteTokens - usage.cacheWrite1hTokens;
    if (usage.cacheReadTokens > 0 && rate.cacheRead === undefined) return null;
    if (write5m > 0 && rate.cacheWrite === undefined) return null;
    if (usage.cacheWrite1hTokens > 0 && rate.cacheWrite1h === undefined) return null;
    const micro =
      usage.inputTokens * rate.input +
      usage.outputTokens * rate.output +
      usage.cacheReadTokens * (rate.cacheRead ?? 0) +
      write5m * (rate.cacheWrite ?? 0) +
      usage.cacheWrite1hTokens * (rate.cacheWrite1h ?? 0);
    return micro / 1_000_000;
  }
}
