import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cannedResponse } from './canned-responses';

/** Exactly what the mock upstream received. */
export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Header names and values in wire order and spelling (flat, as Node's rawHeaders). */
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
  bodySha256: string;
}

export type MockHandler = (request: RecordedRequest, res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

export interface MockUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replace the response behaviour (default: canned API answers by path). */
  setHandler(handler: MockHandler): void;
  /** Resolves when `count` requests have been recorded. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * A loopback HTTP server on an ephemeral port that records every request byte for byte
 * (headers in wire order, the raw body) and answers like the provider APIs.
 */
export async function startMockUpstream(handler: MockHandler = cannedResponse): Promise<MockUpstream> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: [...req.rawHeaders],
        headers: { ...req.headers },
        body,
        bodySha256: sha256(body),
      };
      requests.push(recorded);
      waiters.splice(0).forEach((wake) => wake());
      Promise.resolve(current(recorded, res, req)).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`mock handler failed: ${error.message}`);
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setHandler: (next) => {
      current = next;
    },
    async waitForRequests(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`mock upstream got ${requests.length} of ${count} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Header value by case-insensitive name from a flat raw-headers array (first occurrence). */
export function rawHeader(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name.toLowerCase()) return rawHeaders[i + 1];
  return undefined;
}
