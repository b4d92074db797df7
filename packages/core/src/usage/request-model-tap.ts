import { FieldSelection, JsonFieldScanner } from './json-field-scanner';

const WANTED = new FieldSelection(['model']);

/**
 * The request's `model`, read from the body bytes as they are forwarded. Every API puts
 * it at the top level, usually first; the tap stops reading once it has it. Compressed
 * request bodies are not decoded (the response names the model too).
 */
export class RequestModelTap {
  private readonly scanner = new JsonFieldScanner(WANTED, 1024);

  get done(): boolean {
    return this.scanner.done;
  }

  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  model(): string | null {
    const model = this.scanner.values.get('model');
    return typeof model === 'string' && model.length > 0 ? model.slice(0, 200) : null;
  }
}
