import type { ServerResponse } from 'node:http';
import type { RecordedRequest } from './mock-upstream';

/** Deterministic provider-shaped answers, so a test can assert the SDK got exactly these. */
export const CANNED = {
  anthropicMessage: {
    id: 'msg_mock_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-mock-1',
    content: [{ type: 'text', text: 'Hello from the mock upstream.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 11, output_tokens: 7 },
  },
  anthropicStreamText: ['Hello', ' from', ' the', ' stream.'],
  openaiChat: {
    id: 'chatcmpl-mock01',
    object: 'chat.completion',
    created: 1790000000,
    model: 'gpt-mock-1',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the mock upstream.', refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
  },
  openaiStreamText: ['Hello', ' from', ' the', ' stream.'],
  responsesText: 'Hello from the mock Responses API.',
} as const;

export function anthropicSse(texts: readonly string[] = CANNED.anthropicStreamText): string[] {
  const message = { ...CANNED.anthropicMessage, content: [], stop_reason: null, usage: { input_tokens: 11, output_tokens: 1 } };
  const events: Array<[string, unknown]> = [
    ['message_start', { type: 'message_start', message }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ...texts.map((text): [string, unknown] => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }]),
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: texts.length } }],
    ['message_stop', { type: 'message_stop' }],
  ];
  return events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export function openaiChatSse(texts: readonly string[] = CANNED.openaiStreamText): string[] {
  const chunk = (delta: object, finish: string | null) => ({
    id: 'chatcmpl-mock01',
    object: 'chat.completion.chunk',
    created: 1790000000,
    model: 'gpt-mock-1',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  return [chunk({ role: 'assistant', content: '' }, null), ...texts.map((text) => chunk({ content: text }, null)), chunk({}, 'stop')]
    .map((data) => `data: ${JSON.stringify(data)}\n\n`)
    .concat('data: [DONE]\n\n');
}

export function responsesObject(status = 'completed') {
  return {
    id: 'resp_mock01',
    object: 'response',
    created_at: 1790000000,
    status,
    model: 'gpt-mock-1',
    output: [
      {
        type: 'message',
        id: 'msg_mock01',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: CANNED.responsesText, annotations: [] }],
      },
    ],
    usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 },
  };
}

export function responsesSse(): string[] {
  const done = responsesObject();
  const events: Array<[string, object]> = [
    ['response.created', { type: 'response.created', sequence_number: 0, response: { ...responsesObject('in_progress'), output: [] } }],
    [
      'response.output_text.delta',
      { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_mock01', output_index: 0, content_index: 0, delta: CANNED.responsesText },
    ],
    ['response.completed', { type: 'response.completed', sequence_number: 2, response: done }],
  ];
  return events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function wantsStream(request: RecordedRequest): boolean {
  try {
    return (JSON.parse(request.body.toString('utf8')) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

function sendSse(res: ServerResponse, events: readonly string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of events) res.write(event);
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Default mock behaviour: answer like the API the path belongs to (JSON or SSE as asked). */
export function cannedResponse(request: RecordedRequest, res: ServerResponse): void {
  const path = request.url.split('?')[0]!;
  const stream = wantsStream(request);
  if (path.endsWith('/messages')) return stream ? sendSse(res, anthropicSse()) : sendJson(res, 200, CANNED.anthropicMessage);
  if (path.endsWith('/chat/completions')) return stream ? sendSse(res, openaiChatSse()) : sendJson(res, 200, CANNED.openaiChat);
  if (path.endsWith('/responses')) return stream ? sendSse(res, responsesSse()) : sendJson(res, 200, responsesObject());
  if (path.endsWith('/models')) return sendJson(res, 200, { object: 'list', data: [{ id: 'mock-model', object: 'model' }] });
  return sendJson(res, 200, { ok: true, path });
}
