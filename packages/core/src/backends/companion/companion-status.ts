import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../config/load-config';
import { TOKENS } from '../../tokens';
import type { ClaudeCliProbe, CliVersion } from './cli-version-probe';
import type { CompanionStats } from './companion-stats';
import type { RunScheduler } from './run-scheduler';
import type { CompanionToolTurns, ToolConversationStatus } from './tools/companion-tool-turns';

export interface CompanionStatusSnapshot {
  dispatch: boolean;
  command: string;
  /** CLI processes running now. */
  inFlight: number;
  /** Requests waiting for a slot (or for their session's previous turn). */
  queued: number;
  completed: number;
  failed: number;
  aborted: number;
  rejected: number;
  lastError: string | null;
  /** `probing` while `claude --version` runs; `unknown` before anyone asked. */
  cli: CliVersion | { state: 'probing' | 'unknown' };
  /** Tool sessions (one CLI process each) and the tool calls they wait on the caller for. */
  toolSessions: ToolConversationStatus[];
}

/** The `companion` section of `/tokenpak/status`. */
@injectable()
export class CompanionStatus {
  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.CompanionScheduler) private readonly scheduler: RunScheduler,
    @inject(TOKENS.CompanionStats) private readonly stats: CompanionStats,
    @inject(TOKENS.ClaudeCliProbe) private readonly probe: ClaudeCliProbe,
    @inject(TOKENS.CompanionToolTurns) private readonly toolTurns: CompanionToolTurns,
  ) {}

  /**
   * Starts the CLI version probe (once per container) and waits for it up to
   * `maxWaitMs`, so a hanging CLI cannot hang `/tokenpak/status`.
   */
  async refresh(maxWaitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    await Promise.race([this.probe.version(), waited]);
    clearTimeout(timer);
  }

  snapshot(): CompanionStatusSnapshot {
    const { dispatch, command } = this.resolved.config.companion;
    return {
      dispatch,
      command,
      inFlight: this.scheduler.running,
      queued: this.scheduler.queued,
      completed: this.stats.completed,
      failed: this.stats.failed,
      aborted: this.stats.aborted,
      rejected: this.stats.rejected,
      lastError: this.stats.lastError,
      cli: this.probe.current ?? { state: this.probe.started ? 'probing' : 'unknown' },
      toolSessions: this.toolTurns.status(),
    };
  }
}
