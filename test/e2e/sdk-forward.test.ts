import Anthropic from '@anthropic-ai/sdk';
import LegacyAnthropic from 'anthropic-sdk-legacy';
import OpenAI from 'openai';
import { CANNED } from '../support/canned-responses';
import { rawHeader, sha256, startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt, type RunningProxy } from '../support/proxy-harness';

/** The real SDKs through the real server: bytes and credentials arrive unchanged, answers come back unchanged. */
describe('SDK traffic through the proxy', () => {
  let upstream: MockUpstream;
  let proxy: RunningProxy;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    proxy = await startProxy({ providers: upstreamsAt(upstream.url) });
  });
  afterAll(async () => {
    await proxy.stop();
    await upstream.close();
  });
  beforeEach(() => upstream.requests.splice(0));

  /** Captures the exact bytes an SDK put on the wire to the proxy. */
  function tappingFetch(sent: Buffer[]): typeof fetch {
    return async (input, init) => {
      if (init?.body) sent.push(Buffer.from(typeof init.body === 'string' ? init.body : new Uint8Array(await new Response(init.body).arrayBuffer())));
      return fetch(input, init);
    };
  }

  test('@anthropic-ai/sdk 1.x messages.create: same body bytes, caller key as Bearer, answer unchanged', async () => {
    const sent: Buffer[] = [];
    const client = new Anthropic({ apiKey: 'sk-ant-api03-test-one', baseURL: proxy.url, fetch: tappingFetch(sent), maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude-mock-1', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
    expect(message).toMatchObject(CANNED.anthropicMessage);
    const [received] = upstream.requests;
    expect(received!.url).toBe('/v1/messages');
    expect(received!.bodySha256).toBe(sha256(sent[0]!));
    const credential = rawHeader(received!.rawHeaders, 'authorization') ?? rawHeader(received!.rawHeaders, 'x-api-key');
    expect(credential).toContain('sk-ant-api03-test-one');
  });

  test('@anthropic-ai/sdk 0.x (as inside Claude Code) sends x-api-key, and it arrives', async () => {
    const client = new LegacyAnthropic({ apiKey: 'sk-ant-api03-legacy', baseURL: proxy.url, maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude-mock-1', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).toEqual(CANNED.anthropicMessage.content);
    expect(rawHeader(upstream.requests[0]!.rawHeaders, 'x-api-key')).toBe('sk-ant-api03-legacy');
  });

  test('@anthropic-ai/sdk streaming: text arrives event by event and in full', async () => {
    const client = new Anthropic({ apiKey: 'sk-ant-api03-test-one', baseURL: proxy.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'claude-mock-1', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
    const final = await stream.finalMessage();
    expect(final.content.map((block) => (block.type === 'text' ? block.text : block.type))).toEqual([CANNED.anthropicStreamText.join('')]);
  });

  test('openai chat.completions.create plain and streaming', async () => {
    const sent: Buffer[] = [];
    const client = new OpenAI({ apiKey: 'sk-proj-test-openai', baseURL: `${proxy.url}/v1`, fetch: tappingFetch(sent), maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion).toEqual(CANNED.openaiChat);
    expect(upstream.requests[0]!.bodySha256).toBe(sha256(sent[0]!));
    expect(rawHeader(upstream.requests[0]!.rawHeaders, 'authorization')).toBe('Bearer sk-proj-test-openai');

    const stream = await client.chat.completions.create({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(CANNED.openaiStreamText.join(''));
  });

  test('openai responses.create plain and streaming', async () => {
    const client = new OpenAI({ apiKey: 'sk-proj-test-openai', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    const response = await client.responses.create({ model: 'gpt-mock-1', input: 'hi' });
    expect(response.output_text).toBe(CANNED.responsesText);
    const stream = await client.responses.create({ model: 'gpt-mock-1', input: 'hi', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(upstream.requests.map((request) => request.url)).toEqual(['/v1/responses', '/v1/responses']);
  });
});
