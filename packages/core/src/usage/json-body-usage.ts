import { FieldSelection, JsonFieldScanner } from './json-field-scanner';
import { asText, errorTypeOf, isJsonObject, type BodyUsageReader, type ResponseObservation } from './response-observation';
import { fromAnyUsage } from './token-usage';

/** Top-level fields of a Messages, Chat Completions or Responses JSON answer (or an error body). */
const WANTED = new FieldSelection(['model', 'usage', 'error']);

/**
 * Bodies up to this size are held (the chunks already passed on, not copies) and parsed
 * whole at the end: for the usual small answer `JSON.parse` is ~3× cheaper than the
 * streaming scanner (2.5 vs 8.6 µs for a 300-byte Messages answer). Past it, the
 * scanner reads on without holding anything.
 */
const WHOLE_PARSE_LIMIT = 16 * 1024;

/** A non-streaming JSON answer: `model`, `usage` and `error` sit at the top level in every API. */
export class JsonBodyUsage implements BodyUsageReader {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private scanner: JsonFieldScanner | null = null;
  private parsed: ReadonlyMap<string, unknown> | null = null;

  push(chunk: Buffer): void {
    if (this.scanner) return this.scanner.push(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > WHOLE_PARSE_LIMIT) this.scanHeld();
  }

  end(): void {
    if (this.scanner || this.held.length === 0) return;
    const bytes = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    let document: unknown;
    try {
      document = JSON.parse(bytes.toString('utf8'));
    } catch {
      // Not whole JSON (cut, or not JSON at all): the scanner finds what is there.
      return this.scanHeld();
    }
    this.held = [];
    const fields = new Map<string, unknown>();
    if (isJsonObject(document)) {
      for (const field of ['model', 'usage', 'error']) if (field in document) fields.set(field, document[field]);
    }
    this.parsed = fields;
  }

  observation(): ResponseObservation {
    // A body that never ended (the client or upstream went away) is scanned for what it had.
    if (!this.parsed && !this.scanner) this.scanHeld();
    const values = this.parsed ?? this.scanner!.values;
    const error = values.get('error');
    return {
      model: asText(values.get('model')),
      usage: fromAnyUsage(values.get('usage')),
      errorType: error !== undefined && error !== null ? errorTypeOf(error) : null,
    };
  }

  private scanHeld(): void {
    const scanner = new JsonFieldScanner(WANTED);
    for (const chunk of this.held) scanner.push(chunk);
    this.held = [];
    this.scanner = scanner;
  }
}
