import { z } from 'zod';

const perMillion = z.number().min(0).describe('USD per million tokens.');

/** Prices above a prompt-size threshold (e.g. Anthropic's long-context rates); unset rates fall back to the base ones. */
const longContextSchema = z
  .object({
    aboveInputTokens: z.number().int().min(1).describe('Applies when input + cache read + cache write tokens exceed this.'),
    input: perMillion,
    output: perMillion,
    cacheRead: perMillion.optional(),
    cacheWrite: perMillion.optional(),
    cacheWrite1h: perMillion.optional(),
  })
  .strict();

/** One model's list prices, USD per million tokens. */
export const modelPriceSchema = z
  .object({
    input: perMillion.describe('Uncached input tokens.'),
    output: perMillion.describe('Output tokens (reasoning included).'),
    cacheRead: perMillion.optional().describe('Prompt-cache reads (OpenAI: cached input).'),
    cacheWrite: perMillion.optional().describe('Prompt-cache writes (Anthropic 5-minute lifetime).'),
    cacheWrite1h: perMillion.optional().describe('Prompt-cache writes with the 1-hour lifetime; default: cacheWrite.'),
    longContext: longContextSchema.optional(),
  })
  .strict();

export type ModelPrice = z.output<typeof modelPriceSchema>;

/** `config/pricing.json`. */
export const priceFileSchema = z
  .object({
    $comment: z.string().optional(),
    updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD date'),
    currency: z.literal('USD'),
    sources: z.array(z.string()).optional(),
    models: z.record(z.string().min(1), modelPriceSchema),
  })
  .strict();

export type PriceFile = z.output<typeof priceFileSchema>;
