import { createRequire } from 'node:module';
import path from 'node:path';
import type { JsonBodyUsage as JsonBodyUsageType } from '../packages/core/src/usage/json-body-usage';
import type { SseBodyUsage as SseBodyUsageType } from '../packages/core/src/usage/sse-body-usage';
import { MESSAGE_RESPONSE, SSE_EVENTS } from './mock-answers';
import { ensureTokenPakBuilt, REPO_ROOT } from './tokenpak-process';

/**
 * The ledger's usage readers on their own, in this thread: µs to read the model and usage of
 * one bench answer, the bytes the mock upstream sends (a Messages JSON answer; a 21-event
 * stream, one chunk per event). These run for every proxied answer while the ledger is on.
 *
 *   npm run bench:usage
 *
 * The compiled readers (`packages/core/dist`) are timed, loaded by Node as the proxy loads
 * them: through jiti the same code runs several times slower. Median of 5 rounds after a warm-up.
 */

const ROUNDS = 5;
const READS_PER_ROUND = 100_000;

type Reader = { push(chunk: Buffer): void; end(): void; observation(): unknown };

function microsPerRead(make: () => Reader, chunks: readonly Buffer[]): number {
  const perRound: number[] = [];
  for (let round = -1; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < READS_PER_ROUND; i++) {
      const reader = make();
      for (const chunk of chunks) reader.push(chunk);
      reader.end();
      reader.observation();
    }
    // Round -1 is the warm-up (JIT tiers), not counted.
    if (round >= 0) perRound.push(Number(process.hrtime.bigint() - start) / 1000 / READS_PER_ROUND);
  }
  perRound.sort((a, b) => a - b);
  return perRound[Math.floor(perRound.length / 2)]!;
}

function main(): void {
  ensureTokenPakBuilt();
  // Node's own require: under jiti, a plain `require` would load the built files through jiti's transform too.
  const load = createRequire(path.join(REPO_ROOT, 'packages/core/dist/usage/'));
  const { JsonBodyUsage } = load('./json-body-usage.js') as { JsonBodyUsage: typeof JsonBodyUsageType };
  const { SseBodyUsage } = load('./sse-body-usage.js') as { SseBodyUsage: typeof SseBodyUsageType };

  const sse = new SseBodyUsage();
  for (const event of SSE_EVENTS) sse.push(event);
  sse.end();
  // A reader that reads nothing would time well: check it found what the mock sent.
  const observed = JSON.stringify(sse.observation());
  if (!observed.includes('"inputTokens":512') || !observed.includes('"outputTokens":16'))
    throw new Error(`the SSE reader misread the bench stream: ${observed}`);

  const rows = [
    ['Messages JSON answer', `${MESSAGE_RESPONSE.length} B, 1 chunk`, microsPerRead(() => new JsonBodyUsage(), [MESSAGE_RESPONSE])],
    ['SSE stream', `${SSE_EVENTS.length} events, 1 chunk each`, microsPerRead(() => new SseBodyUsage(), SSE_EVENTS)],
  ] as const;
  process.stdout.write('| usage reader | input | µs per answer |\n| --- | --- | --- |\n');
  for (const [name, input, micros] of rows) process.stdout.write(`| ${name} | ${input} | ${micros.toFixed(2)} |\n`);
}

main();
