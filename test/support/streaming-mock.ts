import { createHash, randomBytes } from 'node:crypto';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A body the streaming mock received, described by size and hash (the bytes are not kept). */
export interface HashedUpload {
  method: string;
  url: string;
  rawHeaders: string[];
  bytes: number;
  sha256: string;
}

/** A body the streaming mock sent. */
export interface HashedDownload {
  url: string;
  bytes: number;
  sha256: string;
}

export interface StreamingMock {
  url: string;
  port: number;
  uploads: HashedUpload[];
  downloads: HashedDownload[];
  close(): Promise<void>;
}

async function writeRandomBody(res: ServerResponse, size: number): Promise<string> {
  const hash = createHash('sha256');
  let left = size;
  while (left > 0 && !res.destroyed) {
    const chunk = randomBytes(Math.min(64 * 1024, left));
    hash.update(chunk);
    left -= chunk.length;
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          res.off('drain', wake);
          res.off('close', wake);
          resolve();
        };
        res.once('drain', wake);
        res.once('close', wake);
      });
  }
  res.end();
  return hash.digest('hex');
}

/**
 * An upstream for large bodies that never buffers them: request bodies are hashed as they
 * stream in (answered with `{"bytes","sha256"}`); `?bytes=N` on a body-less request streams
 * N random bytes back (`content-length` set, or chunked with `&chunked=1`), hashed as sent.
 */
export async function startStreamingMock(): Promise<StreamingMock> {
  const uploads: HashedUpload[] = [];
  const downloads: HashedDownload[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mock');
    const size = Number(url.searchParams.get('bytes') ?? NaN);
    if (req.method === 'GET' && Number.isFinite(size)) {
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (url.searchParams.get('chunked') !== '1') headers['content-length'] = String(size);
      res.writeHead(200, headers);
      void writeRandomBody(res, size).then((sha256) => downloads.push({ url: req.url ?? '', bytes: size, sha256 }));
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    req.on('end', () => {
      const record: HashedUpload = { method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], bytes, sha256: hash.digest('hex') };
      uploads.push(record);
      const text = JSON.stringify({ bytes: record.bytes, sha256: record.sha256 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    uploads,
    downloads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
