import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { cannedResponse } from '../support/canned-responses';
import { rawRequest } from '../support/http-client';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/** ARCHITECTURE §2.5: `content-encoding` survives both ways; nothing is decompressed or re-encoded. */
describe('compressed bodies pass through byte for byte', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url) });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.splice(0);
    upstream.setHandler(cannedResponse);
  });

  const json = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'compress me '.repeat(200) }] });
  const gzipped = gzipSync(Buffer.from(json), { level: 9 });

  test.each([
    ['a plain client', {}],
    // Headers that make the OpenClaw signal want the body: an encoded body must still go through untouched.
    ['an OpenClaw-like client', { 'user-agent': 'undici', 'sec-fetch-mode': 'cors', 'accept-language': '*' }],
  ])('a gzip request body from %s reaches upstream still gzipped, byte-equal', async (_label, extra) => {
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(gzipped.length),
        'accept-encoding': 'gzip, br',
        'anthropic-version': '2023-06-01',
        'x-api-key': 'sk-ant-api03-gzip',
        ...extra,
      },
      body: gzipped,
    });
    expect(response.status).toBe(200);
    const [received] = upstream.requests;
    expect(received!.bodySha256).toBe(sha256(gzipped));
    expect(received!.body.length).toBe(gzipped.length);
    expect(gunzipSync(received!.body).toString('utf8')).toBe(json);
    expect(rawHeader(received!.rawHeaders, 'content-encoding')).toBe('gzip');
    expect(rawHeader(received!.rawHeaders, 'content-length')).toBe(String(gzipped.length));
    expect(rawHeader(received!.rawHeaders, 'accept-encoding')).toBe('gzip, br');
  });

  test.each([
    ['gzip', gzipped],
    ['br', brotliCompressSync(Buffer.from(json))],
  ] as const)('a %s-encoded upstream response reaches the client still encoded, byte-equal, header kept', async (encoding, encoded) => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': encoding,
        'content-length': String(encoded.length),
        vary: 'accept-encoding',
      });
      res.end(encoded);
    });
    const response = await rawRequest(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-gzip' },
      body: json,
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-encoding']).toBe(encoding);
    expect(response.headers['content-length']).toBe(String(encoded.length));
    expect(response.headers.vary).toBe('accept-encoding');
    expect(sha256(response.body)).toBe(sha256(encoded));
  });

  test('a chunked gzip response (no content-length) is relayed byte-equal too', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      // Two writes: the proxy must not re-frame or decode across chunk boundaries.
      res.write(gzipped.subarray(0, 10));
      res.end(gzipped.subarray(10));
    });
    const response = await rawRequest(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip', authorization: 'Bearer sk-proj-gzip' },
      body: '{"model":"gpt-mock-1","messages":[]}',
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(sha256(response.body)).toBe(sha256(gzipped));
  });
});
