import { injectable } from 'tsyringe';

/** Request counters for `/tokenpak/status`; one instance per container. */
@injectable()
export class ServerStats {
  readonly startedAt = Date.now();
  inFlight = 0;
  total = 0;
  /** Responses by status class (`2xx`, `4xx`, …), plus `aborted` for clients that went away. */
  readonly byStatus: Record<string, number> = {};

  begin(): void {
    this.inFlight++;
    this.total++;
  }

  end(status: number | 'aborted'): void {
    this.inFlight--;
    const key = status === 'aborted' ? 'aborted' : `${Math.floor(status / 100)}xx`;
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
  }
}
