import WebSocket from 'ws';
import { WebSocketTurnMeter, type WebSocketTurn } from '../../packages/core/src/ledger/websocket-turn-meter';

type SenderStatic = { frame(data: Buffer, options: { fin: boolean; mask: boolean; opcode: number; readOnly: boolean; rsv1: boolean }): Buffer[] };
const Sender = (WebSocket as unknown as { Sender: SenderStatic }).Sender;
const textFrame = (text: string, masked: boolean): Buffer =>
  Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, mask: masked, opcode: 0x01, readOnly: false, rsv1: false }));

describe('WebSocketTurnMeter', () => {
  test('never changes the bytes it is shown (client frames are masked; the reader must not unmask the relayed buffer)', () => {
    const turns: WebSocketTurn[] = [];
    const meter = new WebSocketTurnMeter(undefined, (turn) => turns.push(turn));
    const create = textFrame(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex' }), true);
    const done = textFrame(
      JSON.stringify({ type: 'response.completed', response: { model: 'gpt-5-codex', usage: { input_tokens: 5, output_tokens: 1 } } }),
      false,
    );
    const createBefore = Buffer.from(create);
    const doneBefore = Buffer.from(done);
    // The same buffers twice, as a relay would hand over chunks it has just written.
    for (let i = 0; i < 2; i++) {
      meter.fromClient(create);
      meter.fromUpstream(done);
    }
    expect(create).toEqual(createBefore);
    expect(done).toEqual(doneBefore);
    expect(turns.map((turn) => [turn.index, turn.model, turn.errorType, turn.usage?.inputTokens])).toEqual([
      [1, 'gpt-5-codex', null, 5],
      [2, 'gpt-5-codex', null, 5],
    ]);
  });

  test('frames split at any byte still make one turn; a protocol error leaves the open turn without usage', async () => {
    const turns: WebSocketTurn[] = [];
    const meter = new WebSocketTurnMeter(undefined, (turn) => turns.push(turn));
    const create = textFrame(JSON.stringify({ type: 'response.create', model: 'm' }), true);
    for (const byte of create) meter.fromClient(Buffer.from([byte]));
    // An upstream frame that is masked breaks RFC 6455 §5.1: the reader stops.
    meter.fromUpstream(textFrame('{"type":"response.completed"}', true));
    // Writable streams report errors on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    meter.closed('upstream_closed');
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ index: 1, model: 'm', usage: null, errorType: 'frames_unreadable' });
  });
});
