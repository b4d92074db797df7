import type { CpuPerRequestMedians } from './cpu-per-request';
import type { PerRepeatSummary } from './paired-runs';

/** Markdown tables and number formats shared by the bench's report sections. NaN (a value that could not be measured) prints as n/a. */

const orNa =
  (format: (value: number) => string) =>
  (value: number): string =>
    Number.isFinite(value) ? format(value) : 'n/a';

export const reqs = orNa((value) => Math.round(value).toLocaleString('en-US'));
export const ms = orNa((value) => value.toFixed(3));
export const signedMs = orNa((value) => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`);
/** CPU µs per request; whole µs are plenty at 10 ms tick resolution. */
export const micros = orNa((value) => Math.round(value).toLocaleString('en-US'));

/** `0.91 (0.88–0.93)`: the median of per-repeat values, then their range when there is more than one repeat. */
export function perRepeat(summary: PerRepeatSummary, format: (value: number) => string): string {
  if (!Number.isFinite(summary.median)) return 'n/a';
  return summary.perRepeat.length > 1 ? `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})` : format(summary.median);
}

export const ratio2 = (value: number): string => value.toFixed(2);
export const ratio3 = (value: number): string => value.toFixed(3);

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Columns of a per-process CPU breakdown (µs per request, medians over repeats). */
export const CPU_BREAKDOWN_HEADER = ['proxy, all threads', 'proxy main thread', 'proxy other threads', 'mock upstream', 'load generator'] as const;

export function cpuBreakdownCells(cpu: CpuPerRequestMedians): string[] {
  return [cpu.proxy, cpu.proxyMainThread, cpu.proxyOtherThreads, cpu.upstream, cpu.loadGenerator].map(micros);
}
