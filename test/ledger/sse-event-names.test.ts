import { SseEventNames } from '../../packages/core/src/usage/sse-event-names';

describe('SSE event names', () => {
  const names = new SseEventNames(['message_start', 'message_delta', 'content_block_delta', 'ping']);

  function nameIn(line: string, table = names): string {
    const chunk = Buffer.from(`event: ${line}\n`);
    return table.nameAt(chunk, 'event: '.length, chunk.length - 1);
  }

  test('a listed name is read as that name, whatever chunk holds it', () => {
    expect(nameIn('message_delta')).toBe('message_delta');
    expect(nameIn('message_start')).toBe('message_start');
    expect(nameIn('ping')).toBe('ping');
  });

  test('a name of a listed length that differs in any byte is decoded, not confused', () => {
    expect(nameIn('message_delte')).toBe('message_delte');
    expect(nameIn('nessage_delta')).toBe('nessage_delta');
    expect(nameIn('pong')).toBe('pong');
  });

  test('unlisted names, UTF-8 ones and the empty name decode as the bytes say', () => {
    expect(nameIn('response.completed')).toBe('response.completed');
    expect(nameIn('événement')).toBe('événement');
    expect(nameIn('')).toBe('');
    expect(nameIn('message_start', new SseEventNames([]))).toBe('message_start');
  });
});
