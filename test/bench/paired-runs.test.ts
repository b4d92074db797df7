import { differenceOf, pairByRepeat, ratioOf, summarizePerRepeat } from '../../bench/paired-runs';

interface Run {
  repeat: number;
  requestsPerSecond: number;
  cpu: number | null;
}

const run = (repeat: number, requestsPerSecond: number, cpu: number | null = null): Run => ({ repeat, requestsPerSecond, cpu });

describe('ratios from interleaved pairs', () => {
  it('pairs runs of the same repeat, in repeat order, leaving out a repeat with one side missing', () => {
    const raw = [run(2, 200), run(1, 100), run(3, 300)];
    const tokenpak = [run(1, 90), run(2, 180)];
    expect(pairByRepeat(raw, tokenpak).map((pair) => [pair.repeat, pair.base.requestsPerSecond, pair.candidate.requestsPerSecond])).toEqual([
      [1, 100, 90],
      [2, 200, 180],
    ]);
  });

  it('refuses two runs of one side in the same repeat (the pairing would be ambiguous)', () => {
    expect(() => pairByRepeat([run(1, 100), run(1, 110)], [run(1, 90)])).toThrow(/repeat 1/);
    expect(() => pairByRepeat([run(1, 100)], [run(1, 90), run(1, 95)])).toThrow(/repeat 1/);
  });

  it('takes the median of per-repeat ratios, not the ratio of the medians', () => {
    // Repeat 1's tokenpak run caught a quiet moment the raw run did not: one outlier pair.
    const raw = [run(1, 1000), run(2, 2000), run(3, 3000)];
    const tokenpak = [run(1, 2500), run(2, 1800), run(3, 2700)];
    const summary = summarizePerRepeat(
      pairByRepeat(raw, tokenpak),
      ratioOf((r: Run) => r.requestsPerSecond),
    );
    expect(summary.perRepeat).toEqual([2.5, 0.9, 0.9]);
    expect(summary.median).toBeCloseTo(0.9); // median(tokenpak) ÷ median(raw) would say 2500 / 2000 = 1.25
    expect(summary.min).toBeCloseTo(0.9);
    expect(summary.max).toBeCloseTo(2.5);
    const two = summarizePerRepeat(
      pairByRepeat([run(1, 1000), run(2, 100)], [run(1, 500), run(2, 100)]),
      ratioOf((r: Run) => r.requestsPerSecond),
    );
    expect(two.median).toBeCloseTo(0.75); // an even count: the mean of 0.5 and 1
  });

  it('takes per-repeat differences for added latency', () => {
    const summary = summarizePerRepeat(
      pairByRepeat([run(1, 1.0), run(2, 2.0), run(3, 1.5)], [run(1, 1.05), run(2, 2.2), run(3, 1.6)]),
      differenceOf((r: Run) => r.requestsPerSecond),
    );
    expect(summary.median).toBeCloseTo(0.1);
    expect(summary.min).toBeCloseTo(0.05);
    expect(summary.max).toBeCloseTo(0.2);
  });

  it('leaves out repeats without a value (no /proc) and reports NaN when none has one', () => {
    const cpu = ratioOf((r: Run) => r.cpu);
    expect(summarizePerRepeat(pairByRepeat([run(1, 1, 100), run(2, 1, null)], [run(1, 1, 150), run(2, 1, 120)]), cpu).perRepeat).toEqual([1.5]);
    const none = summarizePerRepeat(pairByRepeat([run(1, 1)], [run(1, 1)]), cpu);
    expect(none.perRepeat).toEqual([]);
    expect(none.median).toBeNaN();
    expect(summarizePerRepeat(pairByRepeat([run(1, 0, 0)], [run(1, 1, 10)]), cpu).median).toBeNaN(); // a zero base is no ratio
  });
});
