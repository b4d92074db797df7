import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time another process has used, read from `/proc` (Linux only). CPU time per request
 * is far steadier than req/s on a shared machine: other tenants slow a run down, but they
 * barely change how much CPU one request costs. Resolution is one clock tick (normally
 * 10 ms), which is fine over multi-second runs.
 */

/** CPU time (user + system) in clock ticks, from the text of a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` file; null when it does not parse. */
export function cpuTicksFromStat(stat: string): number | null {
  // Field 2 (comm) is in parentheses and may itself contain spaces or ')': fields are counted after the last ')'.
  const afterComm = stat.lastIndexOf(')');
  if (afterComm < 0) return null;
  const fields = stat
    .slice(afterComm + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so utime (field 14) and stime (field 15) are at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isInteger(utime) && Number.isInteger(stime) ? utime + stime : null;
}

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK`, read once; 100 (the Linux default) when getconf is missing or says something odd. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcessCpuTime {
  /** The whole process: every thread, including threads that have already exited (µs). */
  totalMicros: number;
  /** The main thread alone, where the event loop runs (tid = pid) (µs). */
  mainThreadMicros: number;
}

function readTicks(file: string): number | null {
  try {
    return cpuTicksFromStat(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * CPU time used so far by `pid`, or null where `/proc` is missing (non-Linux) or the process is gone.
 * Other threads (worker threads such as the ledger writer, GC helpers, the libuv pool) are the
 * total minus the main thread, not a sum over `/proc/<pid>/task`: that would miss threads that exited.
 */
export function readProcessCpuTime(pid: number): ProcessCpuTime | null {
  const total = readTicks(`/proc/${pid}/stat`);
  const main = readTicks(`/proc/${pid}/task/${pid}/stat`);
  if (total === null || main === null) return null;
  const microsPerTick = 1_000_000 / clockTicksPerSecond();
  return { totalMicros: total * microsPerTick, mainThreadMicros: main * microsPerTick };
}
