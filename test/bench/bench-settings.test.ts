import { readBenchSettings } from '../../bench/bench-settings';

describe('BENCH_ONLY', () => {
  it('runs every part by default', () => {
    expect(readBenchSettings({}).parts).toEqual(['comparison', 'detection', 'ledger', 'companion']);
  });

  it('picks a subset from a comma list, in run order', () => {
    expect(readBenchSettings({ BENCH_ONLY: 'ledger, comparison' }).parts).toEqual(['comparison', 'ledger']);
  });

  it('refuses an unknown part instead of silently running nothing', () => {
    expect(() => readBenchSettings({ BENCH_ONLY: 'ledger,memory' })).toThrow(/unknown part memory/);
  });
});
