import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** A gate a test opens when it wants a held-back mock to continue. */
export interface Latch {
  readonly opened: boolean;
  /** Resolves once `open()` has been called. */
  wait(): Promise<void>;
  open(): void;
}

export function createLatch(): Latch {
  let opened = false;
  let release: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    get opened() {
      return opened;
    },
    wait: () => promise,
    open() {
      opened = true;
      release();
    },
  };
}

/** How a streamed response ended. */
export interface StreamOutcome {
  /** True only when the whole message arrived and ended cleanly (`end` with `complete`). */
  complete: boolean;
  /** Set when the response (or its socket) failed. */
  error?: Error;
  body: Buffer;
}

/** A response read incrementally: what arrived so far is visible before it ends. */
export interface StreamedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** Bytes received so far, as UTF-8. */
  received(): string;
  /** Resolves once `predicate(received so far)` holds; rejects after `timeoutMs` or if the response ends first. */
  waitFor(predicate: (received: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves when the response ended, cleanly or not. Never rejects. */
  done: Promise<StreamOutcome>;
  destroy(): void;
}

/**
 * A plain node:http request (exact headers, own connection) whose response is exposed
 * as it arrives, so a test can observe events before the upstream sends the rest.
 */
export function streamRequest(
  url: string,
  options: { method?: string; headers?: string[] | Record<string, string>; body?: Buffer | string } = {},
): Promise<StreamedResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request({
      hostname: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const watchers = new Set<() => void>();
      let ended = false;
      let ok = false;
      let failure: Error | undefined;
      const received = (): string => Buffer.concat(chunks).toString('utf8');
      const done = new Promise<StreamOutcome>((settle) => {
        const finish = (): void => {
          if (ended) return;
          ended = true;
          watchers.forEach((wake) => wake());
          settle({ complete: ok, error: failure, body: Buffer.concat(chunks) });
        };
        res.on('end', () => {
          ok = res.complete;
          finish();
        });
        res.on('error', (error) => {
          failure = error;
          finish();
        });
        res.on('close', finish);
        req.on('error', (error) => {
          failure ??= error;
          finish();
        });
      });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        watchers.forEach((wake) => wake());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        rawHeaders: res.rawHeaders,
        received,
        waitFor(predicate, timeoutMs = 5000) {
          return new Promise<void>((fulfil, fail) => {
            const check = (): void => {
              if (predicate(received())) {
                cleanup();
                fulfil();
              } else if (ended) {
                cleanup();
                fail(new Error(`the response ended before the expected data arrived; got: ${JSON.stringify(received().slice(0, 500))}`));
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`timed out waiting for data; got so far: ${JSON.stringify(received().slice(0, 500))}`));
            }, timeoutMs);
            const cleanup = (): void => {
              clearTimeout(timer);
              watchers.delete(check);
            };
            watchers.add(check);
            check();
          });
        },
        done,
        destroy: () => req.destroy(),
      });
    });
    req.end(options.body);
  });
}

/** Writes `size` random bytes to `sink` in chunks, honouring backpressure; returns their sha256. */
async function writeRandom(sink: http.ClientRequest, size: number, chunkSize = 64 * 1024): Promise<string> {
  const hash = createHash('sha256');
  let left = size;
  while (left > 0) {
    const chunk = randomBytes(Math.min(chunkSize, left));
    hash.update(chunk);
    left -= chunk.length;
    if (!sink.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          sink.off('error', onError);
          resolve();
        };
        const onError = (error: Error): void => {
          sink.off('drain', onDrain);
          reject(error);
        };
        sink.once('drain', onDrain);
        sink.once('error', onError);
      });
    }
  }
  return hash.digest('hex');
}

export interface UploadResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The (small) response body. */
  body: Buffer;
  /** sha256 of the random bytes this client sent. */
  sentSha256: string;
}

/**
 * Streams `size` random bytes as a request body (never holding more than a chunk), with
 * `content-length` unless `chunked` is set, and reads the response.
 */
export function uploadRandom(
  url: string,
  size: number,
  options: { method?: string; headers?: Record<string, string>; chunked?: boolean } = {},
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...options.headers };
    if (!options.chunked) headers['content-length'] = String(size);
    const req = http.request({
      hostname: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'POST',
      headers,
      agent: false,
    });
    let sentSha256 = '';
    let response: { status: number; headers: IncomingHttpHeaders; body: Buffer } | undefined;
    const settle = (): void => {
      if (response && sentSha256) resolve({ ...response, sentSha256 });
    };
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        response = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
        settle();
      });
    });
    writeRandom(req, size).then((digest) => {
      sentSha256 = digest;
      req.end();
      settle();
    }, reject);
  });
}

export interface DownloadResult {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  complete: boolean;
}

/** GETs `url` and hashes the body as it streams in (nothing is kept). */
export function downloadHashed(url: string, headers: Record<string, string> = {}): Promise<DownloadResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'GET', headers, agent: false },
      (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: hash.digest('hex'), complete: res.complete }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resident set size of a process in bytes, from `/proc/<pid>/status` (Linux). */
export function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves with the connect error code (e.g. `ECONNREFUSED`), or null when a connection was accepted. */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Hop-by-hop headers (RFC 9110 §7.6.1 and legacy), which a proxy must not forward. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The end-to-end headers of a flat raw-headers array, in order and spelling: without
 * hop-by-hop headers (and those named in `Connection`), `Host`, and TokenPak control
 * headers (`x-tokenpak-*`, `x-openclaw-session`). What a byte-preserving proxy must pass on.
 */
export function endToEndHeaders(rawHeaders: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') {
      for (const token of rawHeaders[i + 1]!.split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || lower === 'host' || lower.startsWith('x-tokenpak-') || lower === 'x-openclaw-session') continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}

/** `[a, 1, b, 2]` → `[[a, 1], [b, 2]]` (readable diffs in assertions). */
export function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/**
 * A mock handler that answers with SSE: writes the headers and the first `sendFirst`
 * events, waits for `latch`, then writes the rest and ends.
 */
export function holdingSseHandler(events: readonly string[], latch: Latch, sendFirst = 1) {
  return async (_request: unknown, res: ServerResponse): Promise<void> => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (sendFirst === 0) res.flushHeaders();
    for (const event of events.slice(0, sendFirst)) res.write(event);
    await latch.wait();
    if (res.destroyed) return;
    for (const event of events.slice(sendFirst)) res.write(event);
    res.end();
  };
}

/** `promise`, or a rejection naming `what` after `timeoutMs` (so a hang fails fast and says why). */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
