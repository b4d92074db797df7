import { startCliProxy, type CliProxy } from '../support/cli-proxy';
import { upstreamsAt } from '../support/proxy-harness';
import { downloadHashed, rssOf, uploadRandom } from '../support/stream-helpers';
import { startStreamingMock, type StreamingMock } from '../support/streaming-mock';

const MB = 1024 * 1024;
const SIZE = 20 * MB;

/**
 * ARCHITECTURE §2.5: bodies stream both ways, never buffered whole. The proxy runs as
 * `tokenpak start` in a child process so its memory can be read from /proc; neither the
 * mock nor this test holds a whole body either.
 */
describe('20 MB bodies through tokenpak start', () => {
  let upstream: StreamingMock;
  let proxy: CliProxy;
  let pid: number;

  beforeAll(async () => {
    upstream = await startStreamingMock();
    proxy = await startCliProxy({ providers: upstreamsAt(upstream.url) });
    pid = proxy.cli.child.pid!;
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  async function upload(options: { chunked?: boolean; headers?: Record<string, string> } = {}): Promise<void> {
    const before = upstream.uploads.length;
    const result = await uploadRandom(`${proxy.url}/v1/messages`, SIZE, {
      headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-large', ...options.headers },
      chunked: options.chunked,
    });
    expect(result.status).toBe(200);
    const received = upstream.uploads[before]!;
    expect(received.url).toBe('/v1/messages');
    expect(received.bytes).toBe(SIZE);
    expect(received.sha256).toBe(result.sentSha256);
    expect(JSON.parse(result.body.toString('utf8'))).toEqual({ bytes: SIZE, sha256: result.sentSha256 });
  }

  async function download(chunked = false): Promise<void> {
    const before = upstream.downloads.length;
    const result = await downloadHashed(`${proxy.url}/v1/files/blob?bytes=${SIZE}${chunked ? '&chunked=1' : ''}`, { 'anthropic-version': '2023-06-01' });
    expect(result.status).toBe(200);
    expect(result.complete).toBe(true);
    expect(result.bytes).toBe(SIZE);
    expect(result.headers['content-length']).toBe(chunked ? undefined : String(SIZE));
    // The mock records a download once it has written the last byte; the client may see the end first.
    for (let i = 0; i < 100 && upstream.downloads.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(result.sha256).toBe(upstream.downloads[before]!.sha256);
  }

  test('a 20 MB request body (content-length) arrives upstream hash-equal', async () => {
    await upload();
  });

  test('a 20 MB chunked request body arrives upstream hash-equal', async () => {
    await upload({ chunked: true });
  });

  test('a 20 MB body that a platform signal wants to inspect (OpenClaw-like headers, over maxInspectBytes) arrives hash-equal', async () => {
    // Chunked, so the proxy cannot skip inspection by content-length: it reads the bounded prefix, then pipes the rest.
    await upload({ chunked: true, headers: { 'sec-fetch-mode': 'cors', 'accept-language': '*', 'user-agent': 'undici' } });
  });

  test('a 20 MB response body (content-length and chunked) reaches the client hash-equal', async () => {
    await download(false);
    await download(true);
  });

  test('memory does not grow with the bodies: 5 × 20 MB up and 5 × 20 MB down cost far less than 100 MB', async () => {
    // Warm up (JIT, pools, keep-alive sockets) so the baseline is steady.
    await upload();
    await download();
    const baseline = rssOf(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(pid));
      } catch {
        // the process may be gone if the test is failing anyway
      }
    }, 5);
    try {
      for (let i = 0; i < 5; i++) await upload();
      for (let i = 0; i < 5; i++) await download();
    } finally {
      clearInterval(sampler);
    }
    const after = rssOf(pid);
    peak = Math.max(peak, after);
    const growth = after - baseline;
    const peakGrowth = peak - baseline;
    // Not 5 × 20 MB retained (growth), and not even one whole 20 MB body held at any moment (peak).
    // Measured when streaming: growth ≈ 0–3 MB, peak ≈ 0–8 MB.
    expect({ growthMB: Math.round(growth / MB), below40MB: growth < 40 * MB }).toEqual({ growthMB: Math.round(growth / MB), below40MB: true });
    expect({ peakGrowthMB: Math.round(peakGrowth / MB), belowOneBody: peakGrowth < SIZE }).toEqual({
      peakGrowthMB: Math.round(peakGrowth / MB),
      belowOneBody: true,
    });
  });
});
