import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Resident set size of a process in bytes: `/proc/<pid>/status` VmRSS on Linux, else `ps -o rss=`. */
async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return new Promise((resolve) => {
      execFile('ps', ['-o', 'rss=', '-p', String(pid)], (error, stdout) => {
        const kib = Number(stdout.trim());
        resolve(error || !Number.isFinite(kib) || kib <= 0 ? null : kib * 1024);
      });
    });
  }
}

/**
 * Samples one process's RSS every `intervalMs` while load runs against it, and keeps the
 * peak. Sampling happens only inside `during`, so the peak is a peak under load.
 */
export class RssSampler {
  private peak = 0;
  private samples = 0;
  /** Peak of the current `during` window only. */
  private windowPeak = 0;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 200,
  ) {}

  get peakBytes(): number {
    return this.peak;
  }

  get sampleCount(): number {
    return this.samples;
  }

  async sampleOnce(): Promise<number | null> {
    const rss = await readRssBytes(this.pid);
    if (rss !== null) {
      this.samples += 1;
      this.peak = Math.max(this.peak, rss);
      this.windowPeak = Math.max(this.windowPeak, rss);
    }
    return rss;
  }

  /** Runs `work` while sampling; also returns the peak seen during it (0 if no sample succeeded). */
  async during<T>(work: () => Promise<T>): Promise<{ result: T; peakBytes: number }> {
    this.windowPeak = 0;
    let inFlight = false;
    const timer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      void this.sampleOnce().finally(() => {
        inFlight = false;
      });
    }, this.intervalMs);
    try {
      await this.sampleOnce();
      const result = await work();
      await this.sampleOnce();
      return { result, peakBytes: this.windowPeak };
    } finally {
      clearInterval(timer);
    }
  }
}
