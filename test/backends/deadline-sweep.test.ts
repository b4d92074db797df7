import { performance } from 'node:perf_hooks';
import { DeadlineSweep } from '../../packages/core/src/backends/deadline-sweep';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineSweep: every upstream timeout on one timer', () => {
  let sweep: DeadlineSweep;
  beforeEach(() => (sweep = new DeadlineSweep(10)));
  afterEach(() => sweep.close());

  test('a deadline fires once, never before its limit', async () => {
    const started = performance.now();
    const fired: number[] = [];
    sweep.deadline(() => fired.push(performance.now() - started)).start(60);
    await sleep(200);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(60);
  });

  test('touch pushes the limit back; stop disarms it', async () => {
    const fired: string[] = [];
    const touched = sweep.deadline(() => fired.push('touched')).start(80);
    const stopped = sweep.deadline(() => fired.push('stopped')).start(40);
    stopped.stop();
    for (let i = 0; i < 6; i++) {
      await sleep(30);
      touched.touch();
    }
    // 180 ms have passed, more than twice the limit, but never 80 ms without a touch.
    expect(fired).toEqual([]);
    await sleep(150);
    expect(fired).toEqual(['touched']);
  });

  test('a limit of 0 never fires; close disarms everything', async () => {
    const fired: string[] = [];
    sweep.deadline(() => fired.push('zero')).start(0);
    sweep.deadline(() => fired.push('closed')).start(30);
    expect(sweep.armed).toBe(1);
    sweep.close();
    expect(sweep.armed).toBe(0);
    await sleep(100);
    expect(fired).toEqual([]);
  });

  test('armed deadlines are counted while armed only (stopped, expired, restarted)', async () => {
    const deadlines = Array.from({ length: 5 }, () => sweep.deadline(() => undefined).start(1_000));
    expect(sweep.armed).toBe(5);
    deadlines[1]!.stop();
    deadlines[3]!.stop();
    deadlines[3]!.stop();
    expect(sweep.armed).toBe(3);
    const quick = sweep.deadline(() => undefined).start(20);
    await sleep(120);
    expect(sweep.armed).toBe(3);
    quick.start(1_000);
    expect(sweep.armed).toBe(4);
  });
});
