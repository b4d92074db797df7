import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger';
import { priceFileSchema, type ModelPrice } from '../config/model-price-schema';
import { PriceBook } from './price-book';

/** `<repo>/config/pricing.json`: four folders up from `packages/core/{src,dist}/pricing`. */
export const DEFAULT_PRICE_FILE = path.resolve(__dirname, '..', '..', '..', '..', 'config', 'pricing.json');

/**
 * The built-in price table plus the config's `pricing` overrides. A missing or invalid
 * table is reported and leaves only the overrides: costs become unknown, the proxy runs.
 */
export function loadPriceBook(overrides: Readonly<Record<string, ModelPrice | null>>, logger: Logger, file = DEFAULT_PRICE_FILE): PriceBook {
  try {
    const parsed = priceFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      logger.warn(`ignoring the price table ${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
      return new PriceBook({}, overrides);
    }
    return new PriceBook(parsed.data.models, overrides, parsed.data.updated);
  } catch (error) {
    logger.warn(
      `no price table (${file}): ${error instanceof Error ? error.message : String(error)}; costs are unknown except for models priced in the config`,
    );
    return new PriceBook({}, overrides);
  }
}
