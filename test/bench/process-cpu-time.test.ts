import { existsSync } from 'node:fs';
import { cpuTicksFromStat, clockTicksPerSecond, readProcessCpuTime } from '../../bench/process-cpu-time';
import { medianCpuPerRequest } from '../../bench/cpu-per-request';

// A real /proc/<pid>/stat line; utime (field 14) = 1234, stime (field 15) = 56.
const STAT =
  '4242 (node) S 1 4242 4242 0 -1 4194560 27068 0 0 0 1234 56 0 0 20 0 11 0 1090123 1057521664 20000 18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 1 0 0 0 0 0';

describe('CPU time from /proc/<pid>/stat', () => {
  it('adds utime and stime (fields 14 and 15)', () => {
    expect(cpuTicksFromStat(STAT)).toBe(1234 + 56);
  });

  it('counts fields after the last ")", so a command name with spaces or parentheses does not shift them', () => {
    expect(cpuTicksFromStat(STAT.replace('(node)', '(tokenpak (ledger) worker)'))).toBe(1290);
    expect(cpuTicksFromStat(STAT.replace('(node)', '(a b c)'))).toBe(1290);
  });

  it('returns null for text that is not a stat line', () => {
    expect(cpuTicksFromStat('')).toBeNull();
    expect(cpuTicksFromStat('4242 (node) S 1 2')).toBeNull();
  });

  it('reads clock ticks per second once, a positive integer', () => {
    expect(Number.isInteger(clockTicksPerSecond())).toBe(true);
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });

  const onLinux = existsSync('/proc/self/stat') ? it : it.skip;
  onLinux('reads this process: the main thread is part of the total', () => {
    const cpu = readProcessCpuTime(process.pid);
    expect(cpu).not.toBeNull();
    expect(cpu!.mainThreadMicros).toBeGreaterThanOrEqual(0);
    expect(cpu!.totalMicros).toBeGreaterThanOrEqual(cpu!.mainThreadMicros);
  });

  it('returns null for a process that does not exist (or where there is no /proc)', () => {
    expect(readProcessCpuTime(2 ** 30)).toBeNull();
  });
});

describe('median CPU per request over runs', () => {
  it('takes each field’s median over the runs that have it, NaN where none has', () => {
    const run = (proxy: number | null, loadGenerator: number) => ({ proxy, proxyMainThread: proxy, proxyOtherThreads: null, upstream: 10, loadGenerator });
    const medians = medianCpuPerRequest([run(100, 1), run(null, 2), run(300, 3)]);
    expect(medians.proxy).toBe(200);
    expect(medians.proxyOtherThreads).toBeNaN();
    expect(medians.upstream).toBe(10);
    expect(medians.loadGenerator).toBe(2);
  });
});
