import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { readBodyPrefix } from '../../packages/core/src/http/read-body-prefix';
import { readRequestBody, RequestBodyError } from '../../packages/core/src/backends/companion/messages/read-request-body';

/**
 * The companion reads whole bodies after the data plane may already have read (and
 * paused on) a prefix: what it gets must be that prefix plus the rest, bounded in all.
 */
type Outcome = { body: string } | { status: number; type: string };

async function withServer(prefixBytes: number, limit: number, send: (url: string) => Promise<void>): Promise<Outcome> {
  let outcome!: Promise<Outcome>;
  const server = http.createServer((request, response) => {
    outcome = (async (): Promise<Outcome> => {
      const prefix = prefixBytes > 0 ? (await readBodyPrefix(request, prefixBytes - 1)).bytes : undefined;
      try {
        return { body: (await readRequestBody(request, prefix, limit)).toString('utf8') };
      } catch (error) {
        if (error instanceof RequestBodyError) return { status: error.error.status, type: error.error.type ?? '' };
        throw error;
      } finally {
        response.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return await outcome;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const post =
  (body: Buffer, headers: Record<string, string> = {}) =>
  async (url: string) => {
    await fetch(url, { method: 'POST', body, headers })
      .then((response) => response.arrayBuffer())
      .catch(() => undefined);
  };

describe('readRequestBody (companion)', () => {
  const text = 'x'.repeat(100_000);

  test('the data plane prefix and the rest of the stream make the whole body', async () => {
    expect(await withServer(1000, 1 << 20, post(Buffer.from(text)))).toEqual({ body: text });
  });

  test('without a prefix, the whole body', async () => {
    expect(await withServer(0, 1 << 20, post(Buffer.from(text)))).toEqual({ body: text });
  });

  test('over the limit, prefix included → 413 request_too_large', async () => {
    expect(await withServer(1000, 50_000, post(Buffer.from(text)))).toEqual({ status: 413, type: 'request_too_large' });
  });

  test('a gzip body is decoded', async () => {
    expect(await withServer(0, 1 << 20, post(gzipSync(text), { 'content-encoding': 'gzip' }))).toEqual({ body: text });
  });
});
