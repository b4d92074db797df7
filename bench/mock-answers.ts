import { BENCH_MODEL } from './request-bodies';

/**
 * What the bench's mock upstream answers, built once: a small Messages response, and a
 * streamed one as the real API orders its events (one buffer per event, written one by one).
 * Shared with `usage-readers.ts`, which times the ledger's readers on these same bytes.
 */

export const MESSAGE_RESPONSE = Buffer.from(
  JSON.stringify({
    id: 'msg_bench_0001',
    type: 'message',
    role: 'assistant',
    model: BENCH_MODEL,
    content: [{ type: 'text', text: 'Hello from the TokenPak bench mock upstream.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 512, output_tokens: 12 },
  }),
);

function sseEvent(type: string, data: Record<string, unknown>): Buffer {
  return Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

const DELTA_WORDS = [
  'Hello',
  ' from',
  ' the',
  ' TokenPak',
  ' bench',
  ' mock',
  ' upstream',
  ':',
  ' this',
  ' is',
  ' a',
  ' streamed',
  ' answer',
  ' of',
  ' sixteen',
  ' deltas.',
];

/** 21 events, in the order the real API sends them. */
export const SSE_EVENTS: readonly Buffer[] = [
  sseEvent('message_start', {
    message: {
      id: 'msg_bench_0002',
      type: 'message',
      role: 'assistant',
      model: BENCH_MODEL,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 512, output_tokens: 1 },
    },
  }),
  sseEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  sseEvent('ping', {}),
  ...DELTA_WORDS.map((text) => sseEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
  sseEvent('content_block_stop', { index: 0 }),
  sseEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: DELTA_WORDS.length } }),
  sseEvent('message_stop', {}),
];
