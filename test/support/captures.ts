import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One request a real client sent (from `test/fixtures/captures`, copied from the shared captures). */
export interface CapturedRequest {
  client: string;
  tag: string;
  seq: number;
  method: string;
  url: string;
  /** `[name, value]` pairs in wire order and spelling. */
  rawHeaders: Array<[string, string]>;
  headers: Record<string, string>;
  bodyJson?: unknown;
}

export const CAPTURES_DIR = path.resolve(__dirname, '..', 'fixtures', 'captures');

export function loadCaptures(client: string): CapturedRequest[] {
  const dir = path.join(CAPTURES_DIR, client);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .sort()
    .flatMap((file) =>
      readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => ({ client, ...(JSON.parse(line) as Omit<CapturedRequest, 'client'>) })),
    );
}

/** The capture's body as the bytes to send (the captures store it as JSON; key order is kept). */
export function captureBody(capture: CapturedRequest): Buffer | undefined {
  return capture.bodyJson === undefined ? undefined : Buffer.from(JSON.stringify(capture.bodyJson));
}

/** Headers to replay: the captured ones in order, minus what must describe this connection. */
export function replayHeaders(capture: CapturedRequest, body: Buffer | undefined, host: string): string[] {
  const flat: string[] = [];
  for (const [name, value] of capture.rawHeaders) {
    const lower = name.toLowerCase();
    if (lower === 'host') flat.push(name, host);
    else if (lower === 'content-length') flat.push(name, String(body?.length ?? 0));
    else flat.push(name, value);
  }
  return flat;
}
