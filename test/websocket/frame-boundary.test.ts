import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { FrameBoundary } from '../../packages/core/src/http/frame-boundary';

type SenderStatic = { frame(data: Buffer, options: { fin: boolean; mask: boolean; opcode: number; readOnly: boolean; rsv1: boolean }): Buffer[] };
const Sender = (WebSocket as unknown as { Sender: SenderStatic }).Sender;

/** Frames of every length class (7-bit, 16-bit, 64-bit), masked and not, as `ws` writes them. */
function frames(): Buffer[] {
  return [0, 1, 125, 126, 127, 65_535, 65_536, 70_000].flatMap((length) =>
    [false, true].map((mask) => Buffer.concat(Sender.frame(randomBytes(length), { fin: true, mask, opcode: 0x02, readOnly: false, rsv1: false }))),
  );
}

describe('FrameBoundary', () => {
  test('knows every frame end however the bytes are cut into chunks', () => {
    const all = frames();
    const stream = Buffer.concat(all);
    const ends = new Set<number>();
    let at = 0;
    for (const frame of all) ends.add((at += frame.length));
    for (const chunkSize of [1, 2, 3, 7, 100, 4096, stream.length]) {
      const boundary = new FrameBoundary();
      const seen: number[] = [];
      for (let offset = 0; offset < stream.length; offset += chunkSize) {
        const chunk = stream.subarray(offset, Math.min(stream.length, offset + chunkSize));
        // Walk each chunk frame end by frame end, as the shutdown path does.
        let used = 0;
        while (used < chunk.length) {
          const until = boundary.untilBoundary(chunk.subarray(used));
          if (until === -1) break;
          if (until === 0) {
            // At a boundary: step over the next frame's first byte to look for its end.
            boundary.advance(chunk.subarray(used, used + 1));
            used += 1;
            if (boundary.atBoundary) seen.push(offset + used);
            continue;
          }
          used += until;
          seen.push(offset + used);
        }
      }
      expect(seen).toEqual([...ends]);
      expect(boundary.atBoundary).toBe(true);
    }
  });

  test('mid-frame it says how many bytes finish the frame', () => {
    const [first, second] = [frames()[6]!, frames()[2]!];
    const boundary = new FrameBoundary();
    boundary.advance(first.subarray(0, 10));
    expect(boundary.atBoundary).toBe(false);
    const rest = Buffer.concat([first.subarray(10), second]);
    expect(boundary.untilBoundary(rest)).toBe(first.length - 10);
    expect(boundary.atBoundary).toBe(true);
  });
});
