import { percentileOfSorted } from './stats';

/**
 * Collects every response time of a run at full float precision. autocannon's own
 * histogram stores whole milliseconds, which cannot resolve the 0.1 ms added-latency
 * target on loopback; its `response` event hands over the exact value, so we keep that.
 */
export class LatencyRecorder {
  private values = new Float64Array(16_384);
  private count = 0;

  record(milliseconds: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = milliseconds;
  }

  get size(): number {
    return this.count;
  }

  percentiles(...ps: number[]): number[] {
    const sorted = this.values.slice(0, this.count).sort();
    return ps.map((p) => percentileOfSorted(sorted, p));
  }
}
