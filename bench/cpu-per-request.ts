import { readProcessCpuTime, type ProcessCpuTime } from './process-cpu-time';
import { median } from './stats';

/**
 * CPU time per request of every process a load run involves: the proxy under test (main
 * thread and other threads apart), the mock upstream, and the load generator (this process,
 * autocannon). Read before and after the run, divided by the responses the run got.
 */

/** µs of CPU per response during one run; null where it could not be read (no `/proc`). */
export interface CpuPerRequest {
  /** The proxy under test, all threads. */
  proxy: number | null;
  /** Its main thread (the event loop). */
  proxyMainThread: number | null;
  /** Its other threads: worker threads (the ledger writer), GC helpers, the libuv pool. */
  proxyOtherThreads: number | null;
  upstream: number | null;
  /** The bench process itself (`process.cpuUsage()`); null only when the run got no response. */
  loadGenerator: number | null;
}

export interface CpuSubjects {
  proxyPid: number;
  upstreamPid: number;
}

interface CpuReading {
  proxy: ProcessCpuTime | null;
  upstream: ProcessCpuTime | null;
  loadGenerator: NodeJS.CpuUsage;
}

function readAll(subjects: CpuSubjects): CpuReading {
  return { proxy: readProcessCpuTime(subjects.proxyPid), upstream: readProcessCpuTime(subjects.upstreamPid), loadGenerator: process.cpuUsage() };
}

function perRequest(before: CpuReading, after: CpuReading, responses: number): CpuPerRequest {
  const per = (micros: number): number => micros / responses;
  const { proxy: p0, upstream: u0 } = before;
  const { proxy: p1, upstream: u1 } = after;
  const generator = process.cpuUsage(before.loadGenerator);
  return {
    proxy: p0 && p1 ? per(p1.totalMicros - p0.totalMicros) : null,
    proxyMainThread: p0 && p1 ? per(p1.mainThreadMicros - p0.mainThreadMicros) : null,
    proxyOtherThreads: p0 && p1 ? per(p1.totalMicros - p1.mainThreadMicros - (p0.totalMicros - p0.mainThreadMicros)) : null,
    upstream: u0 && u1 ? per(u1.totalMicros - u0.totalMicros) : null,
    loadGenerator: per(generator.user + generator.system),
  };
}

/** Runs `run` and reports, with its result, the CPU each process spent per response (`responses` picks them out of the result). */
export async function withCpuPerRequest<T>(
  subjects: CpuSubjects,
  run: () => Promise<T>,
  responses: (result: T) => number,
): Promise<{ result: T; cpu: CpuPerRequest }> {
  const before = readAll(subjects);
  const result = await run();
  const after = readAll(subjects);
  const count = responses(result);
  // A run without responses has no cost per request (and Infinity would skew the medians).
  const cpu =
    count > 0 ? perRequest(before, after, count) : { proxy: null, proxyMainThread: null, proxyOtherThreads: null, upstream: null, loadGenerator: null };
  return { result, cpu };
}

/** Medians over runs, field by field, in µs per request; NaN (null in JSON) where no run had the value. */
export type CpuPerRequestMedians = Record<keyof CpuPerRequest, number>;

export function medianCpuPerRequest(runs: readonly CpuPerRequest[]): CpuPerRequestMedians {
  const of = (field: keyof CpuPerRequest): number => median(runs.map((run) => run[field]).filter((value): value is number => value !== null));
  return {
    proxy: of('proxy'),
    proxyMainThread: of('proxyMainThread'),
    proxyOtherThreads: of('proxyOtherThreads'),
    upstream: of('upstream'),
    loadGenerator: of('loadGenerator'),
  };
}
