import Anthropic from '@anthropic-ai/sdk';
import { PassThrough, Readable, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { anthropicSse } from '../support/canned-responses';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';
import { streamRequest, within } from '../support/stream-helpers';
import { lastEventEnd, ResponseBodyRelay } from '../../packages/core/src/backends/response-body-relay';

const ANTHROPIC_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-sse' };
const STREAM_BODY = JSON.stringify({ model: 'claude-mock-1', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

/** Writes `sent`, then (once it is on the wire) resets the connection. */
function cutAfter(sent: string) {
  return (_request: unknown, res: import('node:http').ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sent, () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

/** What the relay writes to its sink, write by write, when `chunks` come from its source; and what it showed its watcher. */
async function relayed(chunks: readonly string[], alignToEvents: boolean): Promise<{ out: string[]; watched: string[] }> {
  const out: string[] = [];
  const watched: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  const done = new Promise((resolve) => sink.on('end', resolve));
  new ResponseBodyRelay(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), sink, alignToEvents, (chunk) => watched.push(chunk.toString('utf8')));
  await done;
  return { out, watched };
}

const collect = async (chunks: readonly string[]): Promise<string[]> => (await relayed(chunks, true)).out;

describe('response bodies relayed, SSE on event boundaries (ARCHITECTURE §7)', () => {
  describe('the boundary finder', () => {
    test.each([
      ['event: a\ndata: 1\n\n', 18],
      ['event: a\r\ndata: 1\r\n\r\n', 21],
      ['event: a\rdata: 1\r\r', 18],
      ['data: 1\n\ndata: 2', 9],
      ['data: 1\n', 0],
      ['data: 1\r\n\r', 0],
      ['', 0],
    ])('%j → %d', (text, end) => {
      expect(lastEventEnd(Buffer.from(text))).toBe(end);
    });

    test('whole events pass at once; a split event is released whole once its blank line arrives', async () => {
      const out = await collect(['data: 1\n\nda', 'ta: 2\n', '\ndata: 3\r\n\r\n']);
      // Chunk 2 ends inside event 2: nothing goes out until chunk 3 completes it (and event 3 with it).
      expect(out).toEqual(['data: 1\n\n', 'data: 2\n\ndata: 3\r\n\r\n']);
    });

    test('a slow client pauses the upstream (backpressure) and still gets every byte, in order', async () => {
      const events = Array.from({ length: 200 }, (_, index) => `event: delta\ndata: {"index":${index}}\n\n`);
      const source = Readable.from(events.map((event) => Buffer.from(event)));
      const pauses = jest.spyOn(source, 'pause');
      const received: Buffer[] = [];
      const sink = new Writable({
        highWaterMark: 64,
        write(chunk: Buffer, _encoding, callback) {
          received.push(chunk);
          setImmediate(callback);
        },
      });
      const finished = new Promise((resolve) => sink.on('finish', resolve));
      new ResponseBodyRelay(source, sink, true);
      await finished;
      expect(Buffer.concat(received).toString('utf8')).toBe(events.join(''));
      expect(pauses).toHaveBeenCalled();
    });

    test('a clean end relays a trailing partial event as sent', async () => {
      const out = await collect(['data: 1\n\ndata: [DONE]']);
      expect(out.join('')).toBe('data: 1\n\ndata: [DONE]');
    });

    test('the watcher sees every upstream chunk as it came, held tails included', async () => {
      const chunks = ['data: 1\n\nda', 'ta: 2\n', '\n'];
      expect((await relayed(chunks, true)).watched).toEqual(chunks);
    });

    test('not aligned to events (JSON, compressed bytes): every chunk passes at once, as it came', async () => {
      const chunks = ['{"id":"msg_1",', '"usage":{"input_tokens":3', '}}', 'data: 1\n'];
      expect(await relayed(chunks, false)).toEqual({ out: chunks, watched: chunks });
    });
  });

  describe('through the proxy', () => {
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

    test('a cut inside an event: the client gets the whole events, never the half one, then event: error', async () => {
      const events = anthropicSse();
      // Ends inside the text " from": unlike any whole event before it.
      const half = events[3]!.slice(0, events[3]!.length - 6);
      upstream.setHandler(cutAfter(events.slice(0, 3).join('') + half));
      const response = await streamRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: ANTHROPIC_HEADERS, body: STREAM_BODY });
      const outcome = await within(response.done, 10_000, 'the cut stream to end');
      const text = outcome.body.toString('utf8');
      expect(text).not.toContain(half);
      const errorAt = text.indexOf('event: error');
      expect(errorAt).toBeGreaterThan(0);
      expect(text.slice(0, errorAt).replace(/\n+$/, '\n\n')).toBe(events.slice(0, 3).join(''));
      expect(text.slice(errorAt)).toMatch(
        /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+","code":"upstream_(truncated|timeout)"\}\}\n\n$/,
      );
    });

    test('@anthropic-ai/sdk: a cut mid-event surfaces as an APIError, not a JSON SyntaxError', async () => {
      const events = anthropicSse();
      upstream.setHandler(cutAfter(events.slice(0, 3).join('') + events[3]!.slice(0, events[3]!.length - 12)));
      const client = new Anthropic({ apiKey: 'sk-ant-api03-sse', baseURL: proxy.url, maxRetries: 0 });
      const stream = client.messages.stream({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
      stream.on('error', () => undefined);
      const error: unknown = await within(stream.finalMessage(), 10_000, 'finalMessage to settle').then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).not.toBeInstanceOf(SyntaxError);
      expect(error).toBeInstanceOf(Anthropic.APIError);
    });

    test('an event split across upstream writes still arrives whole and on time', async () => {
      const events = anthropicSse();
      upstream.setHandler((_request, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const all = events.join('');
        res.write(all.slice(0, 100));
        setTimeout(() => res.end(all.slice(100)), 50);
      });
      const client = new Anthropic({ apiKey: 'sk-ant-api03-sse', baseURL: proxy.url, maxRetries: 0 });
      const final = await client.messages.stream({ model: 'claude-mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hello from the stream.' })]);
    });

    test('a gzip-encoded SSE body is relayed untouched (no boundaries to see)', async () => {
      const gz = gzipSync(anthropicSse().join(''));
      upstream.setHandler((_request, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
        res.end(gz);
      });
      const response = await streamRequest(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { ...ANTHROPIC_HEADERS, 'accept-encoding': 'gzip' },
        body: STREAM_BODY,
      });
      const outcome = await within(response.done, 10_000, 'the gzip stream');
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(outcome.body.equals(gz)).toBe(true);
    });
  });
});
