import { FieldSelection, JsonFieldScanner, WHOLE_PARSE_LIMIT } from './json-field-scanner';
import { asText, errorTypeOf, type BodyUsageReader, type ResponseObservation } from './response-observation';
import { fromAnyUsage } from './token-usage';

/** Top-level fields of a Messages, Chat Completions or Responses JSON answer (or an error body). */
const WANTED = new FieldSelection(['model', 'usage', 'error']);

/**
 * A non-streaming JSON answer: `model`, `usage` and `error` sit at the top level in every
 * API. A small answer is held (the chunks already passed on, not copies) and read whole at
 * its end (`JsonFieldScanner.readWhole`); past `WHOLE_PARSE_LIMIT` it is scanned as it
 * streams, holding nothing.
 */
export class JsonBodyUsage implements BodyUsageReader {
  private readonly scanner = new JsonFieldScanner(WANTED);
  private held: Buffer[] | null = [];
  private heldBytes = 0;

  push(chunk: Buffer): void {
    if (this.held === null) return this.scanner.push(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > WHOLE_PARSE_LIMIT) this.scanHeld();
  }

  end(): void {
    const held = this.held;
    if (held === null || held.length === 0) return;
    this.held = null;
    this.scanner.readWhole(held.length === 1 ? held[0]! : Buffer.concat(held));
  }

  observation(): ResponseObservation {
    // A body that never ended (the client or upstream went away) is scanned for what it had.
    if (this.held !== null) this.scanHeld();
    const values = this.scanner.values;
    const error = values.get('error');
    return {
      model: asText(values.get('model')),
      usage: fromAnyUsage(values.get('usage')),
      errorType: error !== undefined && error !== null ? errorTypeOf(error) : null,
    };
  }

  private scanHeld(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const chunk of held) this.scanner.push(chunk);
  }
}
