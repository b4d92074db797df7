import { z } from 'zod';
import { configSchema, type TokenPakConfig } from './schema';

/** The published JSON Schema (`config/tokenpak.schema.json`), generated from the one zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'TokenPak configuration',
    description: 'tokenpak.config.json (or .tokenpakrc, package.json#tokenpak, tokenpak.config.{js,mjs,cjs,ts}). Every key is optional.',
  };
}

/** Every default, as shipped in `config/tokenpak.config.json`. */
export function defaultConfig(): TokenPakConfig & { $schema: string } {
  return { $schema: './tokenpak.schema.json', ...configSchema.parse({}) };
}
