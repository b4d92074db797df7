import { FieldSelection, JsonFieldScanner } from './json-field-scanner';
import { asText, errorTypeOf, type BodyUsageReader, type ResponseObservation } from './response-observation';
import { fromAnyUsage } from './token-usage';

/** Top-level fields of a Messages, Chat Completions or Responses JSON answer (or an error body). */
const WANTED = new FieldSelection(['model', 'usage', 'error']);

/** A non-streaming JSON answer: `model`, `usage` and `error` sit at the top level in every API. */
export class JsonBodyUsage implements BodyUsageReader {
  private readonly scanner = new JsonFieldScanner(WANTED);

  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  end(): void {}

  observation(): ResponseObservation {
    const values = this.scanner.values;
    const error = values.get('error');
    return {
      model: asText(values.get('model')),
      usage: fromAnyUsage(values.get('usage')),
      errorType: error !== undefined && error !== null ? errorTypeOf(error) : null,
    };
  }
}
